import Testing
import SwitchyardTensor
@testable import SwitchyardModel

/// The one grouped-expert computation: the routes form (in-process backend) and the dispatch form
/// (workers) give the same sums, bit for bit, on any thread count, and bad plans are errors.
@Suite("Grouped experts: one computation for serve and workers")
struct GroupedExpertsTests {
    static let hidden = 16
    static let intermediate = 24

    static func experts(_ count: Int) -> [ExpertFFN?] {
        var generator = SeededGenerator(seed: 9)
        return (0..<count).map { _ in
            ExpertFFN(ExpertFFNWeights(
                gate: .random(rows: intermediate, cols: hidden, scale: 0.3, generator: &generator),
                up: .random(rows: intermediate, cols: hidden, scale: 0.3, generator: &generator),
                down: .random(rows: hidden, cols: intermediate, scale: 0.3, generator: &generator)))
        }
    }

    /// `rows` token rows routed to 2 of `count` experts each, with weights.
    static func routes(rows: Int, experts count: Int) -> ExpertRoutes {
        var ids: [Int32] = []
        var weights: [Float] = []
        for r in 0..<rows {
            ids += [Int32(r % count), Int32((r * 3 + 1) % count)]
            weights += [0.25 + Float(r % 5) * 0.1, 0.6 - Float(r % 3) * 0.1]
        }
        return ExpertRoutes(rows: rows, slotsPerRow: 2, expertIDs: ids, weights: weights)
    }

    /// Reference: each row's weighted sum of its experts, one expert at a time, in slot order by expert id.
    static func reference(_ routes: ExpertRoutes, input: Matrix, experts: [ExpertFFN?]) -> Matrix {
        let output = Matrix(rows: routes.rows, cols: hidden)
        let one = Matrix(rows: 1, cols: hidden)
        let hiddenBuffer = Matrix(rows: 2 * intermediate, cols: 1)
        let activated = Matrix(rows: intermediate, cols: 1)
        for r in 0..<routes.rows {
            let slots = (0..<routes.slotsPerRow).map { r * routes.slotsPerRow + $0 }.sorted { routes.expertIDs[$0] < routes.expertIDs[$1] }
            for s in slots {
                experts[Int(routes.expertIDs[s])]!.compute(input: input.row(r), rows: 1, output: one.base,
                                                           hidden: hiddenBuffer.base, activated: activated.base, threads: 1)
                VectorOps.addScaled(one.base, alpha: routes.weights[s], into: output.row(r), count: hidden)
            }
        }
        return output
    }

    @Test("routes form equals the one-row reference on 1 and 2 threads, decode and prefill sizes",
          arguments: [(rows: 3, threads: 1), (rows: 3, threads: 2), (rows: 40, threads: 2), (rows: 200, threads: 2)])
    func routesForm(rows: Int, threads: Int) {
        let experts = Self.experts(8)
        var generator = SeededGenerator(seed: 3)
        let input = Matrix.random(rows: rows, cols: Self.hidden, scale: 1, generator: &generator)
        let routes = Self.routes(rows: rows, experts: 8)
        let output = Matrix(rows: 0, cols: Self.hidden)
        GroupedExperts(hiddenSize: Self.hidden).compute(routes: routes, input: input, experts: experts, output: output, threads: threads)
        let expected = Self.reference(routes, input: input, experts: experts)
        for r in 0..<rows {
            for i in 0..<Self.hidden { #expect(output[r, i] == expected[r, i], "row \(r) column \(i)") }
        }
    }

    @Test("dispatch form (rows grouped by segment, token slots) equals the routes form bit for bit")
    func dispatchFormMatchesRoutesForm() throws {
        let experts = Self.experts(6)
        let rows = 20
        var generator = SeededGenerator(seed: 5)
        let input = Matrix.random(rows: rows, cols: Self.hidden, scale: 1, generator: &generator)
        let routes = Self.routes(rows: rows, experts: 6)
        let viaRoutes = Matrix(rows: 0, cols: Self.hidden)
        GroupedExperts(hiddenSize: Self.hidden).compute(routes: routes, input: input, experts: experts, output: viaRoutes, threads: 2)

        // Group the (row, expert) pairs by expert as a router packs a dispatch.
        var segments: [(expert: Int, rows: Int)] = []
        let grouped = Matrix(rows: rows * 2, cols: Self.hidden)
        var weights: [Float] = []
        var slots: [UInt32] = []
        for e in 0..<6 {
            var count = 0
            for s in routes.expertIDs.indices where routes.expertIDs[s] == e {
                grouped.row(weights.count).update(from: input.row(s / 2), count: Self.hidden)
                weights.append(routes.weights[s])
                slots.append(UInt32(s / 2))
                count += 1
            }
            segments.append((e, count))
        }
        let viaDispatch = Matrix(rows: rows, cols: Self.hidden)
        try GroupedExperts(hiddenSize: Self.hidden).compute(
            segments: segments, rows: grouped.base, weights: weights, tokenSlots: slots, tokens: rows,
            output: viaDispatch.base, threads: 2) { experts[$0] }
        for r in 0..<rows {
            for i in 0..<Self.hidden { #expect(viaDispatch[r, i] == viaRoutes[r, i], "row \(r) column \(i)") }
        }
    }

    @Test("a token slot past the output or rows that disagree with the segments are errors")
    func badPlans() {
        let experts = Self.experts(2)
        let rows = Matrix(rows: 2, cols: Self.hidden)
        let output = Matrix(rows: 1, cols: Self.hidden)
        let computation = GroupedExperts(hiddenSize: Self.hidden)
        #expect(throws: GroupedExperts.PlanError.tokenOutOfRange(position: 1, token: 1, tokens: 1)) {
            try computation.compute(segments: [(expert: 0, rows: 2)], rows: rows.base, weights: [1, 1], tokenSlots: [0, 1],
                                    tokens: 1, output: output.base, threads: 1) { experts[$0] }
        }
        #expect(throws: GroupedExperts.PlanError.rowCountMismatch(segments: 2, weights: 1, tokens: 2)) {
            try computation.compute(segments: [(expert: 0, rows: 2)], rows: rows.base, weights: [1], tokenSlots: [0, 0],
                                    tokens: 1, output: output.base, threads: 1) { experts[$0] }
        }
    }
}
