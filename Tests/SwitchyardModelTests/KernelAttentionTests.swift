import Foundation
import Testing
import SwitchyardTensor
@testable import SwitchyardModel

@Suite("Attention and grouped experts against naive references")
struct KernelAttentionTests {
    init() { BLAS.setThreads(1) }

    /// Reference causal GQA attention in double precision.
    func reference(q: Matrix, cache: KVCache, layer: Int, start: Int, window: Int?, config: ModelConfig) -> Matrix {
        let out = Matrix(rows: q.rows, cols: config.qDim)
        let hd = config.headDim
        let group = config.numHeads / config.numKVHeads
        for i in 0..<q.rows {
            let pos = start + i
            let lo = window.map { max(0, pos - $0 + 1) } ?? 0
            for h in 0..<config.numHeads {
                let k = cache.keys(layer: layer, head: h / group)
                let v = cache.values(layer: layer, head: h / group)
                var scores: [Double] = []
                for j in lo...pos {
                    var s = 0.0
                    for d in 0..<hd { s += Double(q[i, h * hd + d]) * Double(k[j * hd + d]) }
                    scores.append(s / Double(hd).squareRoot())
                }
                let m = scores.max()!
                let e = scores.map { exp($0 - m) }
                let total = e.reduce(0, +)
                for d in 0..<hd {
                    var acc = 0.0
                    for (n, j) in (lo...pos).enumerated() { acc += e[n] / total * Double(v[j * hd + d]) }
                    out[i, h * hd + d] = Float(acc)
                }
            }
        }
        return out
    }

    @Test("prefill rows (BLAS path) and single rows (SIMD path) match the reference",
          arguments: [(0, 5, nil), (3, 4, nil), (6, 1, nil), (2, 6, 3), (7, 1, 3)] as [(Int, Int, Int?)])
    func attention(start: Int, rows: Int, window: Int?) {
        let config = TestModels.config("mixtral")
        let cache = KVCache(config: config, capacity: 16)
        var g = SeededGenerator(seed: 9)
        for layer in 0..<config.numLayers {
            for head in 0..<config.numKVHeads {
                for i in 0..<(16 * config.headDim) {
                    cache.keys(layer: layer, head: head)[i] = g.nextUnitFloat() * 4 - 2
                    cache.values(layer: layer, head: head)[i] = g.nextUnitFloat() * 2 - 1
                }
            }
        }
        let q = Matrix.random(rows: rows, cols: config.qDim, scale: 2, generator: &g)
        let out = Matrix(rows: rows, cols: config.qDim)
        let attention = Attention(config: config)
        attention.compute(q: q.base, ldQ: config.qDim, rows: rows, start: start, cache: cache, layer: 1, window: window,
                          output: out.base, ldOut: config.qDim, scratch: Matrix(rows: 0, cols: 1))
        let expected = reference(q: q, cache: cache, layer: 1, start: start, window: window, config: config)
        var worst: Float = 0
        for i in 0..<out.count { worst = max(worst, abs(out.base[i] - expected.base[i])) }
        #expect(worst < 1e-5)
    }

    /// (family, threads, rows): one thread; two threads with small groups (experts computed
    /// concurrently, one thread each); two threads with groups past the streaming limit, or one row
    /// (3 experts: too few to share out), in turn.
    static let groupedCases: [(String, Int, Int)] = [
        ("mixtral", 1, 7), ("qwen2_moe", 1, 7), ("mixtral", 2, 7), ("qwen2_moe", 2, 7), ("mixtral", 2, 150), ("mixtral", 2, 1),
    ]

    @Test("grouped expert compute equals the per-row sum of weighted experts", arguments: groupedCases)
    func groupedExperts(name: String, threads: Int, rows: Int) async throws {
        let config = TestModels.config(name)
        let backend = try LocalExpertBackend.random(config: config, seed: 4)
        backend.threads = threads
        let layer = 1
        var g = SeededGenerator(seed: 5)
        let input = Matrix.random(rows: rows, cols: config.hiddenSize, scale: 1, generator: &g)
        let experts = config.ffnExperts(layer: layer)
        let slots = 3
        var ids: [Int32] = []
        var weights: [Float] = []
        for r in 0..<rows {
            for s in 0..<slots {
                ids.append(r == 2 && s == 1 ? -1 : Int32((r * 5 + s * 3) % experts))
                weights.append(Float(s + 1) * 0.25)
            }
        }
        let routes = ExpertRoutes(rows: rows, slotsPerRow: slots, expertIDs: ids, weights: weights)
        let output = Matrix(rows: 0, cols: config.hiddenSize)
        try await backend.computeFFN(layer: layer, microBatch: 0, input: input, routes: routes, output: output)
        #expect(output.rows == rows)

        var g2 = SeededGenerator(seed: 4)
        var reference: [ExpertKey: ExpertFFNWeights] = [:]
        for key in LocalExpertBackend.allKeys(config) {
            let i = config.expertIntermediateSize(layer: key.layer, expert: key.expert)
            let h = config.hiddenSize
            let gate = Matrix.random(rows: i, cols: h, scale: (3 / Float(h)).squareRoot(), generator: &g2)
            let up = Matrix.random(rows: i, cols: h, scale: (3 / Float(h)).squareRoot(), generator: &g2)
            let down = Matrix.random(rows: h, cols: i, scale: (3 / Float(i)).squareRoot(), generator: &g2)
            reference[key] = ExpertFFNWeights(gate: gate, up: up, down: down)
        }
        for r in 0..<rows {
            var expected = [Double](repeating: 0, count: config.hiddenSize)
            for s in 0..<slots where ids[r * slots + s] >= 0 {
                let w = reference[ExpertKey(layer: layer, expert: Int(ids[r * slots + s]))]!
                var act = [Double](repeating: 0, count: w.gate.rows)
                for j in 0..<w.gate.rows {
                    var gsum = 0.0, usum = 0.0
                    for p in 0..<config.hiddenSize {
                        gsum += Double(w.gate[j, p]) * Double(input[r, p])
                        usum += Double(w.up[j, p]) * Double(input[r, p])
                    }
                    act[j] = gsum / (1 + exp(-gsum)) * usum
                }
                for o in 0..<config.hiddenSize {
                    var sum = 0.0
                    for j in 0..<w.gate.rows { sum += Double(w.down[o, j]) * act[j] }
                    expected[o] += Double(weights[r * slots + s]) * sum
                }
            }
            for o in 0..<config.hiddenSize { #expect(abs(Double(output[r, o]) - expected[o]) < 1e-4) }
        }
    }

    @Test("the backend rejects bad routes and missing experts")
    func backendErrors() async throws {
        let config = TestModels.config("mixtral")
        let backend = try LocalExpertBackend.random(config: config, seed: 1, experts: [ExpertKey(layer: 0, expert: 1)])
        let input = Matrix(rows: 1, cols: config.hiddenSize)
        let output = Matrix(rows: 1, cols: config.hiddenSize)
        await #expect(throws: EngineError.invalidRoute(layer: 0, expert: 9, experts: 4)) {
            try await backend.computeFFN(layer: 0, microBatch: 0, input: input,
                                         routes: ExpertRoutes(rows: 1, slotsPerRow: 1, expertIDs: [9], weights: [1]), output: output)
        }
        await #expect(throws: EngineError.expertNotLoaded(layer: 0, expert: 2)) {
            try await backend.computeFFN(layer: 0, microBatch: 0, input: input,
                                         routes: ExpertRoutes(rows: 1, slotsPerRow: 1, expertIDs: [2], weights: [1]), output: output)
        }
        await #expect(throws: EngineError.self) {
            try await backend.computeFFN(layer: 0, microBatch: 0, input: input,
                                         routes: ExpertRoutes(rows: 2, slotsPerRow: 1, expertIDs: [1, 1], weights: [1, 1]), output: output)
        }
        await #expect(throws: EngineError.self) {
            try await backend.computeFFN(layer: 5, microBatch: 0, input: input,
                                         routes: ExpertRoutes(rows: 1, slotsPerRow: 1, expertIDs: [1], weights: [1]), output: output)
        }
        #expect(backend.heldExperts == [ExpertKey(layer: 0, expert: 1)])
    }

    @Test("packed experts of the wrong size or for keys the model lacks are rejected")
    func packedExpertChecks() throws {
        let config = TestModels.config("mixtral")
        let h = config.hiddenSize
        let i = config.expertIntermediateSize(layer: 0, expert: 0)
        let wrong = ExpertFFN(gateUp: PackedWeight(Matrix(rows: 2 * (i + 1), cols: h)), down: PackedWeight(Matrix(rows: h, cols: i + 1)))
        #expect(throws: EngineError.weightShape(name: "model.layers.0.mlp.experts.0.down_proj.weight",
                                                expected: [h, i], actual: [h, i + 1])) {
            try LocalExpertBackend(config: config, experts: [ExpertKey(layer: 0, expert: 0): wrong])
        }
        let right = ExpertFFN(gateUp: PackedWeight(Matrix(rows: 2 * i, cols: h)), down: PackedWeight(Matrix(rows: h, cols: i)))
        #expect(throws: EngineError.invalidRoute(layer: 0, expert: 9, experts: config.numExperts)) {
            try LocalExpertBackend(config: config, experts: [ExpertKey(layer: 0, expert: 9): right])
        }
        #expect(try LocalExpertBackend(config: config, experts: [ExpertKey(layer: 0, expert: 0): right]).heldExperts.count == 1)
    }
}
