import Foundation
import Testing
@testable import SwitchyardTensor

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

    /// The compute pool's threads poll between jobs and sleep after a while: jobs back to back,
    /// and jobs after long enough a pause that the threads went to sleep, all run every item.
    @Test("jobs back to back and after the pool's threads went to sleep each run every item once")
    func jobsAcrossSleeps() {
        for round in 0..<300 {
            let count = 1 + round % 17
            let record = Record(items: count, workers: 2)
            ParallelFor.run(count: count, threads: 2) { item, worker in
                guard record.begin(item: item, worker: worker) else { return }
                record.end(worker: worker)
            }
            #expect(record.badWorkers == 0 && record.overlaps == 0)
            #expect(record.calls == Array(repeating: 1, count: count), "round \(round)")
            if round % 50 == 49 { usleep(3000) }  // past the default 200 µs of polling
        }
    }

    /// A body that runs its own parallel loop, and several callers at once: the pool holds one job,
    /// the others run on the system's threads, and every item of every loop runs once.
    @Test("nested loops and concurrent callers each run every item once")
    func nestedAndConcurrent() {
        let outer = Record(items: 8, workers: 2)
        let inner = (0..<8).map { _ in Record(items: 50, workers: 2) }
        ParallelFor.run(count: 8, threads: 2) { item, worker in
            guard outer.begin(item: item, worker: worker) else { return }
            ParallelFor.run(count: 50, threads: 2) { i, w in
                guard inner[item].begin(item: i, worker: w) else { return }
                inner[item].end(worker: w)
            }
            outer.end(worker: worker)
        }
        #expect(outer.calls == Array(repeating: 1, count: 8) && outer.overlaps == 0)
        for record in inner { #expect(record.calls == Array(repeating: 1, count: 50) && record.overlaps == 0) }

        let callers = (0..<4).map { _ in Record(items: 200, workers: 2) }
        DispatchQueue.concurrentPerform(iterations: 4) { c in
            for _ in 0..<20 {
                let record = Record(items: 200, workers: 2)
                ParallelFor.run(count: 200, threads: 2) { item, worker in
                    guard record.begin(item: item, worker: worker) else { return }
                    record.end(worker: worker)
                }
                if record.calls == Array(repeating: 1, count: 200), record.overlaps == 0, record.badWorkers == 0 {
                    _ = callers[c].begin(item: 0, worker: 0)
                    callers[c].end(worker: 0)
                }
            }
        }
        for record in callers { #expect(record.calls[0] == 20) }
    }

    /// A pool whose idle threads would poll for a minute: only `park` puts them to sleep sooner.
    /// Kept for the whole test process (its threads hold it unowned).
    static let longPollingPool = ComputePool(spinDuration: .seconds(60))

    @Test("park puts a polling pool thread to sleep at once, and the next job wakes it")
    func parkSleepsAtOnce() {
        let pool = Self.longPollingPool
        let first = Record(items: 8, workers: 2)
        #expect(pool.run(count: 8, workers: 2) { item, worker in
            if first.begin(item: item, worker: worker) { first.end(worker: worker) }
        })
        usleep(20_000)
        #expect(pool.sleepingThreads == 0, "still polling 20 ms into a 60 s poll")
        pool.park()
        let deadline = ContinuousClock.now + .seconds(5)
        while pool.sleepingThreads < 1, ContinuousClock.now < deadline { usleep(1_000) }
        #expect(pool.sleepingThreads == 1, "parked within 5 s")
        let second = Record(items: 8, workers: 2)
        #expect(pool.run(count: 8, workers: 2) { item, worker in
            if second.begin(item: item, worker: worker) { usleep(100); second.end(worker: worker) }
        })
        #expect(first.calls == Array(repeating: 1, count: 8))
        #expect(second.calls == Array(repeating: 1, count: 8))
        #expect(second.overlaps == 0)
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
