import Testing
@testable import SwitchyardWire

/// Re-sending part of a dispatch to another holder: the parts together combine to the same sum.
@Suite("Dispatch subsets for re-sends")
struct DispatchSubsetTests {
    /// Ships `dispatch` over the wire, runs the fake experts of `RowPackerTests` as a worker would,
    /// and combines the reply into `output`.
    static func serve(_ dispatch: WorkerDispatch, hidden: Int, into output: inout [Float]) throws {
        let frames = try dispatch.message(dispatchID: 7, step: 2, microBatch: 1, layer: 3).encode()
        guard case .dispatch(let header, let received) = try Fixtures.decoder.decode(frames) else {
            Issue.record("not a dispatch")
            return
        }
        let input = try #require(received.floats(as: .f32))
        var outputs: [Float] = []
        var row = 0
        for segment in header.segments {
            for _ in 0..<Int(segment.rows) {
                outputs += RowPackerTests.expert(Int(segment.expert), input[row * hidden..<(row + 1) * hidden])
                row += 1
            }
        }
        let combined = Fixtures.workerSum(header, expertOutputs: outputs)
        try output.withUnsafeMutableBufferPointer {
            try dispatch.combine(reply: TensorBytes(f32: combined), dtype: .f32, into: $0)
        }
    }

    @Test("split by expert groups, each part served separately, sums to the whole", arguments: [
        [[0, 1, 2], [3, 4, 5, 6, 7]], [[7], [0, 2, 4, 6], [1, 3, 5]], [[0, 1, 2, 3, 4, 5, 6, 7]],
    ] as [[[UInt32]]])
    func partsSumToTheWhole(groups: [[UInt32]]) throws {
        let (tokens, hidden, k) = (11, 16, 2)
        let (rows, experts, weights) = RowPackerTests.routing(tokens: tokens, hidden: hidden, experts: 8, k: k, seed: 5)
        var packer = RowPacker(hiddenSize: hidden, expertsPerLayer: 8)
        let whole = try rows.withUnsafeBufferPointer { r in
            try experts.withUnsafeBufferPointer { e in
                try weights.withUnsafeBufferPointer { w in
                    try packer.pack(tokens: r, experts: e, weights: w, owners: [Int](repeating: 0, count: 8), workerCount: 1)
                }
            }
        }
        let dispatch = try #require(whole.first)
        var expected = [Float](repeating: 0, count: tokens * hidden)
        try Self.serve(dispatch, hidden: hidden, into: &expected)

        var output = [Float](repeating: 0, count: tokens * hidden)
        var rowsSent = 0
        for group in groups {
            guard let part = dispatch.subset(experts: Set(group)) else { continue }
            #expect(part.experts.allSatisfy { group.contains($0) })
            #expect(part.tokenSlots.allSatisfy { Int($0) < part.tokenCount })
            #expect(Set(part.slotTokens).count == part.tokenCount && part.slotTokens == part.slotTokens.sorted())
            rowsSent += part.totalRows
            try Self.serve(part, hidden: hidden, into: &output)
        }
        #expect(rowsSent == dispatch.totalRows)
        for i in 0..<expected.count {
            #expect(abs(output[i] - expected[i]) <= 1e-5 * max(1, abs(expected[i])), "element \(i)")
        }
    }

    @Test func theWholeSetIsTheSameDispatchAndNoneOfItsExpertsIsNil() throws {
        let rows: [Float] = [1, 2]
        let experts: [Int32] = [0, 1]
        let weights: [Float] = [1, 1]
        var packer = RowPacker(hiddenSize: 1, expertsPerLayer: 4)
        let dispatch = try #require(try rows.withUnsafeBufferPointer { r in
            try experts.withUnsafeBufferPointer { e in
                try weights.withUnsafeBufferPointer { w in
                    try packer.pack(tokens: r, experts: e, weights: w, owners: [0, 0, 0, 0], workerCount: 1)
                }
            }
        }.first)
        let same = try #require(dispatch.subset(experts: [0, 1, 3]))
        #expect(same.rows.count == dispatch.rows.count && same.segments == dispatch.segments)
        #expect(dispatch.subset(experts: [2, 3]) == nil)
        let one = try #require(dispatch.subset(experts: [1]))
        #expect(one.rows.floats(as: .f32) == [2] && one.slotTokens == [1] && one.tokenSlots == [0])
    }
}
