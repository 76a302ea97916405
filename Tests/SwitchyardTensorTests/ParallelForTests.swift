import Foundation
import Testing
import SwitchyardTensor

@Suite("ParallelFor")
struct ParallelForTests {
    /// Per-item call counts and per-worker overlap detection, shared with the concurrent body.
    final class Record: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var calls: [Int]
        private var busy: [Bool]
        private(set) var overlaps = 0
        private(set) var badWorkers = 0
        init(items: Int, workers: Int) {
            calls = Array(repeating: 0, count: items)
            busy = Array(repeating: false, count: max(workers, 1))
        }
        /// Marks `worker` busy on `item`; false when the worker id is out of range.
        func begin(item: Int, worker: Int) -> Bool {
            lock.lock()
            defer { lock.unlock() }
            guard worker >= 0, worker < busy.count else { badWorkers += 1; return false }
            if busy[worker] { overlaps += 1 }
            busy[worker] = true
            calls[item] += 1
            return true
        }
        func end(worker: Int) {
            lock.lock()
            busy[worker] = false
            lock.unlock()
        }
    }

    @Test("every item runs exactly once, worker ids are in range and never run two calls at once",
          arguments: [(0, 2), (1, 2), (7, 1), (7, 2), (100, 2), (100, 4), (3, 8)])
    func everyItemOnce(count: Int, threads: Int) {
        let workers = min(threads, max(count, 1))
        let record = Record(items: count, workers: workers)
        ParallelFor.run(count: count, threads: threads) { item, worker in
            guard record.begin(item: item, worker: worker) else { return }
            if item % 3 == 0 { usleep(200) }
            record.end(worker: worker)
        }
        #expect(record.badWorkers == 0)
        #expect(record.overlaps == 0)
        #expect(record.calls == Array(repeating: 1, count: count))
    }
}

@Suite("Vector math kernels")
struct VectorMathTests {
    static func referenceLogSumExp(_ x: [Float]) -> Double {
        let m = Double(x.max()!)
        return m + log(x.reduce(0.0) { $0 + exp(Double($1) - m) })
    }

    @Test("log-sum-exp matches a double-precision reference", arguments: [1, 7, 16, 17, 31, 1000, 32000])
    func logSumExp(count: Int) {
        var g = SeededGenerator(seed: UInt64(count))
        for scale: Float in [0.01, 1, 30, 200] {
            let x = (0..<count).map { _ in (g.nextUnitFloat() * 2 - 1) * scale }
            let ours = x.withUnsafeBufferPointer { Softmax.logSumExp($0.baseAddress!, count: count) }
            let expected = Self.referenceLogSumExp(x)
            #expect(abs(Double(ours) - expected) <= 2e-6 * max(1, abs(expected)), "n \(count) scale \(scale): \(ours) vs \(expected)")
        }
    }

    @Test("log-sum-exp of infinities and NaN")
    func logSumExpSpecialValues() {
        func lse(_ x: [Float]) -> Float { x.withUnsafeBufferPointer { Softmax.logSumExp($0.baseAddress!, count: x.count) } }
        #expect(lse([Float](repeating: -.infinity, count: 20)) == -.infinity)
        #expect(lse([1, .infinity] + [Float](repeating: 0, count: 20)) == .infinity)
        #expect(lse([3] + [Float](repeating: -.infinity, count: 40)) == 3)
        #expect(abs(lse([1e30, 1e30 - 1e24] + [Float](repeating: -1e30, count: 30)) - 1e30) <= 1e24)
    }

    @Test("SwiGLU matches silu(gate) * up in double precision, including saturated inputs", arguments: [1, 8, 9, 33, 2048])
    func swiglu(count: Int) {
        var g = SeededGenerator(seed: 99 &+ UInt64(count))
        var gate = (0..<count).map { _ in (g.nextUnitFloat() * 2 - 1) * 12 }
        let up = (0..<count).map { _ in g.nextUnitFloat() * 2 - 1 }
        if count > 4 { gate[0] = 150; gate[1] = -150; gate[2] = 0; gate[3] = -88 }
        var out = [Float](repeating: .nan, count: count)
        gate.withUnsafeBufferPointer { gp in
            up.withUnsafeBufferPointer { up in
                out.withUnsafeMutableBufferPointer { o in
                    SwiGLU.apply(gate: gp.baseAddress!, up: up.baseAddress!, ldIn: count, output: o.baseAddress!,
                                 ldOut: count, rows: 1, cols: count)
                }
            }
        }
        for i in 0..<count {
            let x = Double(gate[i])
            let expected = x / (1 + exp(-x)) * Double(up[i])
            #expect(abs(Double(out[i]) - expected) <= 1e-6 * max(1, abs(expected)), "i \(i): gate \(gate[i]) → \(out[i]) vs \(expected)")
        }
    }
}
