import Testing
@testable import SwitchyardWire

@Suite("Row packing and combine")
struct RowPackerTests {
    /// Deterministic pseudo-random numbers (no Foundation, same on every run).
    struct Lcg {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        mutating func float() -> Float { Float(next() % 2000) / 1000 - 1 }
    }

    /// A random routing decision: `tokens` rows, `k` distinct experts each.
    static func routing(tokens: Int, hidden: Int, experts: Int, k: Int, seed: UInt64)
        -> (rows: [Float], experts: [Int32], weights: [Float])
    {
        var rng = Lcg(state: seed)
        let rows = (0..<tokens * hidden).map { _ in rng.float() }
        var chosen: [Int32] = []
        var weights: [Float] = []
        for _ in 0..<tokens {
            var picked: [Int32] = []
            while picked.count < k {
                let e = Int32(rng.next() % UInt64(experts))
                if !picked.contains(e) { picked.append(e) }
            }
            chosen += picked
            weights += picked.map { _ in rng.float() }
        }
        return (rows, chosen, weights)
    }

    /// A fake expert: y = (expert + 1) * x + 0.125 * column.
    static func expert(_ id: Int, _ x: ArraySlice<Float>) -> [Float] {
        x.enumerated().map { i, v in Float(id + 1) * v + 0.125 * Float(i) }
    }

    @Test("pack, ship over the wire, compute on the worker, combine: equals the local MoE sum",
          arguments: [(1, [0, 0, 0, 0, 0, 0, 0, 0]), (2, [0, 0, 0, 0, 1, 1, 1, 1]), (3, [2, 0, 1, 0, 2, 2, 1, 0])])
    func endToEnd(workers: Int, owners: [Int]) throws {
        let (tokens, hidden, k) = (9, 16, 2)
        let (rows, experts, weights) = Self.routing(tokens: tokens, hidden: hidden, experts: 8, k: k, seed: UInt64(workers))

        var expected = [Float](repeating: 0, count: tokens * hidden)
        for t in 0..<tokens {
            for j in 0..<k {
                let y = Self.expert(Int(experts[t * k + j]), rows[t * hidden..<(t + 1) * hidden])
                for i in 0..<hidden { expected[t * hidden + i] += weights[t * k + j] * y[i] }
            }
        }

        var packer = RowPacker(hiddenSize: hidden, expertsPerLayer: 8)
        let dispatches = try rows.withUnsafeBufferPointer { r in
            try experts.withUnsafeBufferPointer { e in
                try weights.withUnsafeBufferPointer { w in
                    try packer.pack(tokens: r, experts: e, weights: w, owners: owners, workerCount: workers)
                }
            }
        }
        #expect(dispatches.map(\.totalRows).reduce(0, +) == tokens * k)
        #expect(Set(dispatches.map(\.worker)).count == dispatches.count)

        var output = [Float](repeating: 0, count: tokens * hidden)
        // Combine in reverse order: arrival order must not matter.
        for dispatch in dispatches.reversed() {
            let frames = try dispatch.message(dispatchID: 1, step: 2, microBatch: 0, layer: 3).encode()
            guard case .dispatch(let header, let received) = try Fixtures.decoder.decode(frames) else {
                Issue.record("not a dispatch")
                return
            }
            #expect(header.segments.allSatisfy { owners[Int($0.expert)] == dispatch.worker })
            // Worker: run each segment's expert on its rows, then sum by slot.
            let input = try #require(received.floats(as: .f32))
            var outputs: [Float] = []
            var row = 0
            for segment in header.segments {
                for _ in 0..<Int(segment.rows) {
                    outputs += Self.expert(Int(segment.expert), input[row * hidden..<(row + 1) * hidden])
                    row += 1
                }
            }
            let combined = Fixtures.workerSum(header, expertOutputs: outputs)
            let reply = WireMessage.reply(.answering(header, computeMicros: 5), rows: TensorBytes(f32: combined))
            guard case .reply(let replyHeader, let replyRows?) = try Fixtures.decoder.decode(try reply.encode()) else {
                Issue.record("not an OK reply")
                return
            }
            #expect(replyHeader.answers(header))
            try output.withUnsafeMutableBufferPointer { try dispatch.combine(reply: replyRows, dtype: replyHeader.dtype, into: $0) }
        }
        for i in 0..<expected.count {
            #expect(abs(output[i] - expected[i]) <= 1e-5 * max(1, abs(expected[i])), "element \(i)")
        }
    }

    @Test("layout: workers in order, segments by increasing expert, slots in token order")
    func layout() throws {
        // Token 0 -> experts 3, 1; token 1 -> experts 1, 2; token 2 -> experts 0, 3. hidden 1, row value = token.
        let rows: [Float] = [10, 11, 12]
        let experts: [Int32] = [3, 1, 1, 2, 0, 3]
        let weights: [Float] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
        let owners = [0, 1, 1, 1]  // expert 0 on worker 0, the rest on worker 1
        var packer = RowPacker(hiddenSize: 1, expertsPerLayer: 4)
        let result = try rows.withUnsafeBufferPointer { r in
            try experts.withUnsafeBufferPointer { e in
                try weights.withUnsafeBufferPointer { w in
                    try packer.pack(tokens: r, experts: e, weights: w, owners: owners, workerCount: 2)
                }
            }
        }
        try #require(result.count == 2)
        #expect(result[0].worker == 0)
        #expect(result[0].segments.map { [$0.expert, $0.rows] } == [[0, 1]])
        #expect(result[0].rows.floats(as: .f32) == [12])
        #expect(result[0].slotTokens == [2])
        let w1 = result[1]
        #expect(w1.segments.map { [$0.expert, $0.rows] } == [[1, 2], [2, 1], [3, 2]])
        #expect(w1.rows.floats(as: .f32) == [10, 11, 11, 10, 12])
        #expect(w1.gateWeights == [0.2, 0.3, 0.4, 0.1, 0.6])
        #expect(w1.slotTokens == [0, 1, 2])
        #expect(w1.tokenSlots == [0, 1, 1, 0, 2])
    }

    @Test("a worker with no selected experts gets no dispatch")
    func idleWorker() throws {
        let rows: [Float] = [1, 2]
        let experts: [Int32] = [0, 0]
        let weights: [Float] = [1, 1]
        var packer = RowPacker(hiddenSize: 1, expertsPerLayer: 2)
        let result = try rows.withUnsafeBufferPointer { r in
            try experts.withUnsafeBufferPointer { e in
                try weights.withUnsafeBufferPointer { w in
                    try packer.pack(tokens: r, experts: e, weights: w, owners: [0, 1], workerCount: 2)
                }
            }
        }
        #expect(result.map(\.worker) == [0])
    }

    @Test("bad routing input is a clear error", arguments: [
        ([5, 0] as [Int32], [0, 0, 0, 0], RowPackingError.expertOutOfRange(expert: 5, expertsPerLayer: 4)),
        ([1, -1], [0, 0, 0, 0], .expertOutOfRange(expert: -1, expertsPerLayer: 4)),
        ([2, 0], [0, 0, -1, 0], .noHolder(expert: 2)),
        ([3, 0], [0, 0, 0, 7], .badOwner(expert: 3, worker: 7, workerCount: 2)),
        ([0, 0], [0, 0, 0], .sizeMismatch(what: "owners", expected: 4, actual: 3)),
        ([0, 0, 1, 1], [0, 0, 0, 0], .sizeMismatch(what: "weights", expected: 4, actual: 2)),
        ([0], [0, 0, 0, 0], .sizeMismatch(what: "experts", expected: 2, actual: 1)),
    ])
    func badInput(experts: [Int32], owners: [Int], error: RowPackingError) {
        let rows: [Float] = [1, 2, 3, 4]
        let weights: [Float] = [1, 1]
        var packer = RowPacker(hiddenSize: 2, expertsPerLayer: 4)
        #expect(throws: error) {
            try rows.withUnsafeBufferPointer { r in
                try experts.withUnsafeBufferPointer { e in
                    try weights.withUnsafeBufferPointer { w in
                        try packer.pack(tokens: r, experts: e, weights: w, owners: owners, workerCount: 2)
                    }
                }
            }
        }
    }

    @Test("combine rejects a reply of the wrong size or an output too small")
    func combineErrors() throws {
        let rows: [Float] = [1, 2, 3, 4]
        let experts: [Int32] = [0, 1]
        let weights: [Float] = [1, 1]
        var packer = RowPacker(hiddenSize: 2, expertsPerLayer: 2)
        let dispatch = try #require(try rows.withUnsafeBufferPointer { r in
            try experts.withUnsafeBufferPointer { e in
                try weights.withUnsafeBufferPointer { w in
                    try packer.pack(tokens: r, experts: e, weights: w, owners: [0, 0], workerCount: 1)
                }
            }
        }.first)
        var output = [Float](repeating: 0, count: 4)
        #expect(throws: WireError.tensorSizeMismatch(expected: 16, actual: 12)) {
            try output.withUnsafeMutableBufferPointer { try dispatch.combine(reply: TensorBytes(f32: [1, 2, 3]), dtype: .f32, into: $0) }
        }
        var small = [Float](repeating: 0, count: 2)
        #expect(throws: WireError.idOutOfRange(what: "output token", value: 1, bound: 1)) {
            try small.withUnsafeMutableBufferPointer { try dispatch.combine(reply: TensorBytes(f32: [1, 2, 3, 4]), dtype: .f32, into: $0) }
        }
        try output.withUnsafeMutableBufferPointer { try dispatch.combine(reply: TensorBytes(bf16: [1, 2, 3, 4]), dtype: .bf16, into: $0) }
        #expect(output == [1, 2, 3, 4])
    }

    @Test("the packer's scratch is reused correctly across calls of different shapes")
    func reuse() throws {
        var packer = RowPacker(hiddenSize: 1, expertsPerLayer: 3)
        for (tokens, workers) in [(4, 3), (1, 1), (6, 2), (6, 2)] {
            let rows = (0..<tokens).map(Float.init)
            let experts = (0..<tokens).map { Int32($0 % 3) }
            let weights = [Float](repeating: 1, count: tokens)
            let owners = (0..<3).map { $0 % workers }
            let result = try rows.withUnsafeBufferPointer { r in
                try experts.withUnsafeBufferPointer { e in
                    try weights.withUnsafeBufferPointer { w in
                        try packer.pack(tokens: r, experts: e, weights: w, owners: owners, workerCount: workers)
                    }
                }
            }
            #expect(result.map(\.totalRows).reduce(0, +) == tokens)
            #expect(result.flatMap(\.slotTokens).sorted() == (0..<Int32(tokens)).map { $0 })
        }
    }
}
