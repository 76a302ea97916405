import Dispatch
import Synchronization

/// Runs independent items on up to `threads` threads, each thread claiming the next unclaimed item
/// from a shared counter.
///
/// The threads are `ComputePool`'s, which stay awake between jobs for a moment (see there).
/// Claiming instead of splitting up front matters on a machine the engine shares: when the OS
/// preempts one thread (an HTTP thread, another process), the others take over its remaining items
/// instead of the whole step waiting for it. Items should be coarse (a weight panel, an expert, a
/// chunk of rows): each claim is one atomic increment.
public enum ParallelFor {
    /// Calls `body(item, worker)` once for every `item` in `0..<count`; `worker` is in
    /// `0..<min(threads, count)` and no two calls with the same `worker` run at the same time, so
    /// it can index per-thread scratch. Returns when every call has returned.
    public static func run(count: Int, threads: Int = BLAS.threadCount, _ body: (_ item: Int, _ worker: Int) -> Void) {
        guard count > 0 else { return }
        let workers = min(max(1, threads), count)
        if workers == 1 {
            for item in 0..<count { body(item, 0) }
            return
        }
        if ComputePool.shared.run(count: count, workers: workers, body) { return }
        // The pool is busy (another engine's product, or a parallel body's own product): threads
        // from the system's pool.
        let next = Atomic<Int>(0)
        withoutActuallyEscaping(body) { body in
            let box = BodyBox(body: body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                while true {
                    let item = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard item < count else { return }
                    box.body(item, worker)
                }
            }
        }
    }

    /// The pool's idle threads sleep now instead of polling for the next job a moment longer
    /// (`ComputePool.park`): call before a wait much longer than the poll, so that the polling does
    /// not keep a core from another process's threads on a shared machine.
    public static func parkIdleThreads() {
        ComputePool.shared.park()
    }

    /// Lets the caller's non-Sendable closure cross into the concurrent workers; `run` guarantees
    /// it is called only while `run` is on the stack.
    private struct BodyBox: @unchecked Sendable {
        let body: (Int, Int) -> Void
    }
}
