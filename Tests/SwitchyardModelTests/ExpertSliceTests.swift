import Testing
import SwitchyardTensor
@testable import SwitchyardModel

/// `--expert-slices`: an expert cut by its intermediate rows gives, summed over its slices, the
/// whole expert's output (every weight format; the down bias counted once), and the routes the
/// router sends cover each slice once.
@Suite("Expert slices: the parts add up to the expert")
struct ExpertSliceTests {
    static let hidden = 256
    static let intermediate = 512

    static func values(_ rows: Int, _ cols: Int, seed: UInt64) -> Matrix {
        var generator = SeededGenerator(seed: seed)
        return Matrix.random(rows: rows, cols: cols, scale: 0.5, generator: &generator)
    }

    static func weight(_ matrix: Matrix, _ format: WeightFormat) throws -> any LinearWeight {
        if format == .f32 { return PackedWeight(matrix) }
        return try BlockWeight(format: format, rows: matrix.rows, cols: matrix.cols) { first, count, destination in
            destination.update(from: matrix.row(first), count: count * matrix.cols)
        }
    }

    /// An expert with gate-up in `gateUpFormat` (gate and up in two formats side by side when
    /// `upFormat` differs: a Q4_K_M file's stacked weight) and down in `downFormat`.
    static func expert(gateUp gateUpFormat: WeightFormat, up upFormat: WeightFormat? = nil, down downFormat: WeightFormat,
                       biases: Bool = false) throws -> ExpertFFN {
        let gate = values(intermediate, hidden, seed: 1), up = values(intermediate, hidden, seed: 2)
        let down = values(hidden, intermediate, seed: 3)
        let gateUp: any LinearWeight
        if let upFormat, upFormat != gateUpFormat {
            gateUp = StackedWeight([try weight(gate, gateUpFormat), try weight(up, upFormat)])
        } else {
            let stacked = Matrix(rows: 2 * intermediate, cols: hidden)
            stacked.base.update(from: gate.base, count: intermediate * hidden)
            (stacked.base + intermediate * hidden).update(from: up.base, count: intermediate * hidden)
            gateUp = try weight(stacked, gateUpFormat)
        }
        return ExpertFFN(gateUp: gateUp, down: try weight(down, downFormat),
                         gateUpBias: biases ? (0..<(2 * intermediate)).map { Float($0 % 7) * 0.05 - 0.1 } : nil,
                         downBias: biases ? (0..<hidden).map { Float($0 % 5) * 0.1 - 0.2 } : nil)
    }

    static func output(_ expert: ExpertFFN, _ input: Matrix) -> [Float] {
        let rows = input.rows
        let out = Matrix(rows: rows, cols: hidden)
        let hiddenBuffer = Matrix(rows: rows, cols: 2 * expert.intermediateSize)
        let activated = Matrix(rows: rows, cols: expert.intermediateSize)
        expert.compute(input: input.base, rows: rows, output: out.base, hidden: hiddenBuffer.base, activated: activated.base, threads: 1)
        return Array(UnsafeBufferPointer(start: out.base, count: rows * hidden))
    }

    @Test("slices sum to the whole expert", arguments: [
        (WeightFormat.f32, WeightFormat.f32, WeightFormat.f32, 2),
        (.bf16, .bf16, .bf16, 2), (.bf16, .bf16, .bf16, 4),
        (.q8_0, .q8_0, .q8_0, 2), (.q8_0, .q8_0, .q8_0, 8),
        (.q4_K, .q4_K, .q6_K, 2), (.q4_K, .q6_K, .q6_K, 2), (.q5_K, .q5_K, .q4_0, 2),
    ])
    func slicesSum(gateFormat: WeightFormat, upFormat: WeightFormat, downFormat: WeightFormat, count: Int) throws {
        for biases in [false, true] {
            let whole = try Self.expert(gateUp: gateFormat, up: upFormat, down: downFormat, biases: biases)
            let input = Self.values(5, Self.hidden, seed: 4)
            let expected = Self.output(whole, input)
            var sum = [Float](repeating: 0, count: expected.count)
            var bytes = 0
            for index in 0..<count {
                let slice = try whole.slice(index, of: count)
                #expect(slice.intermediateSize == Self.intermediate / count)
                #expect(slice.gateUp.format == whole.gateUp.format && slice.down.format == whole.down.format)
                bytes += slice.gateUp.byteCount + slice.down.byteCount
                for (i, value) in Self.output(slice, input).enumerated() { sum[i] += value }
            }
            // The slices hold the expert's bytes once, in its formats (f32 panels pad to 16 rows).
            if gateFormat != .f32 { #expect(bytes == whole.gateUp.byteCount + whole.down.byteCount) }
            let scale = expected.map(abs).max()!
            let worst = zip(sum, expected).map { abs($0 - $1) }.max()!
            // Each output adds the same products; only the order of the slices' partial sums differs.
            #expect(worst <= 1e-5 * scale, "\(gateFormat)/\(upFormat)/\(downFormat) x\(count) biases \(biases): worst \(worst) of \(scale)")
        }
    }

    @Test("cuts that do not divide the experts or their blocks are errors")
    func badCuts() throws {
        let expert = try Self.expert(gateUp: .q4_K, down: .q4_K)
        // 512 / 4 = 128 columns of down: half a q4_K block.
        #expect(throws: WeightSliceError.self) { try expert.slice(1, of: 4) }
        #expect(throws: ModelError.self) { try expert.slice(0, of: 3) }
        #expect(throws: ModelError.self) { try expert.slice(2, of: 2) }
        #expect(throws: ModelError.self) { try ExpertSlicing(count: 0) }
        let whole = try Self.expert(gateUp: .f32, down: .f32)
        #expect(try whole.slice(0, of: 1) === whole)
    }

    @Test("routes expand to one slot per slice, in unit ids")
    func expandRoutes() throws {
        let slicing = try ExpertSlicing(count: 2)
        let routes = ExpertRoutes(rows: 2, slotsPerRow: 2, expertIDs: [3, 0, 1, -1], weights: [0.7, 0.3, 1, 0])
        let expanded = slicing.expand(routes)
        #expect(expanded.slotsPerRow == 4)
        #expect(expanded.expertIDs == [6, 7, 0, 1, 2, 3, -1, -1])
        #expect(expanded.weights == [0.7, 0.7, 0.3, 0.3, 1, 1, 0, 0])
        #expect(slicing.expert(ofUnit: 7) == 3 && slicing.slice(ofUnit: 7) == 1 && slicing.unit(expert: 3, slice: 1) == 7)
        #expect(slicing.units(ofExperts: [0, 2]) == [0, 1, 4, 5])
        #expect(ExpertSlicing.whole.expand(routes).expertIDs == routes.expertIDs)
    }

    @Test("a model whose intermediate size does not divide is refused before any worker loads")
    func validateModel() throws {
        let config = TestModels.config("mixtral")
        #expect(throws: Never.self) { try ExpertSlicing(count: 2).validate(config) }
        #expect(throws: ModelError.self) { try ExpertSlicing(count: 5).validate(config) }
        #expect(try ExpertSlicing(count: 2).allUnits(config).count == 2 * config.allExperts.count)
    }
}
