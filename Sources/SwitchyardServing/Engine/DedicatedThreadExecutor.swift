import Foundation
import Synchronization

/// A task executor that runs every job on one OS thread it owns.
///
/// The engine's forward pass is blocking CPU work (BLAS): running it on Swift's cooperative pool
/// would starve the HTTP handlers of one of very few threads. Tasks started with
/// `withTaskExecutorPreference(executor)` run here instead, and so do their child tasks.
public final class DedicatedThreadExecutor: TaskExecutor, @unchecked Sendable {
    private struct State {
        var jobs: [UnownedJob] = []
        var stopped = false
    }

    private let state = Mutex(State())
    private let condition = NSCondition()
    private var thread: Thread?

    /// Starts the thread, named for debuggers and `top -H`.
    public init(name: String) {
        let thread = Thread { [unowned self] in self.runLoop() }
        thread.name = name
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        state.withLock { $0.jobs.append(unowned) }
        condition.signal()
        condition.unlock()
    }

    /// Stops the thread once its queued jobs have run. Jobs enqueued afterwards never run, so call
    /// it only when no task prefers this executor any more.
    public func shutdown() {
        condition.lock()
        state.withLock { $0.stopped = true }
        condition.signal()
        condition.unlock()
    }

    private func runLoop() {
        while true {
            condition.lock()
            var batch: [UnownedJob] = []
            var stop = false
            while true {
                (batch, stop) = state.withLock { state in
                    let jobs = state.jobs
                    state.jobs.removeAll(keepingCapacity: true)
                    return (jobs, state.stopped)
                }
                if !batch.isEmpty || stop { break }
                condition.wait()
            }
            condition.unlock()
            for job in batch {
                job.runSynchronously(on: asUnownedTaskExecutor())
            }
            if stop && batch.isEmpty { return }
        }
    }
}
