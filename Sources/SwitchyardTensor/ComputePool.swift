import CKernels
import Foundation
import Synchronization

/// Compute threads that stay awake between jobs, so that starting one costs a store and a few
/// hundred nanoseconds instead of a thread wake-up.
///
/// Batch-1 decode is a chain of small products (attention's projections, two experts, the head:
/// about 60 a token on the bench model), each split over the cores. Handed to
/// `DispatchQueue.concurrentPerform`, each paid a wake-up of a sleeping thread (tens of
/// microseconds), so a second thread barely helped. Here the caller runs as worker 0 and the pool's
/// threads (workers 1...) poll a generation counter: a new job is seen at once. A thread that sees
/// no job for `spinDuration` (or told to `park`) sleeps on a condition until the next one, so an idle process (a router
/// waiting for its workers, a server without requests) gives its cores back.
///
/// One job runs at a time. `run` returns false without running anything when another job holds
/// the pool (a second engine in the process, a product nested in a parallel body); the caller then
/// uses another way.
final class ComputePool: @unchecked Sendable {
    static let shared = ComputePool()

    /// How long an idle pool thread polls before it sleeps: `SWITCHYARD_SPIN_US` microseconds
    /// (default 200; 0 sleeps at once, as a process sharing its cores with others may want).
    static let defaultSpinDuration: Duration = {
        let micros = ProcessInfo.processInfo.environment["SWITCHYARD_SPIN_US"].flatMap { Int($0) }.map { max(0, $0) } ?? 200
        return .microseconds(micros)
    }()

    /// How long this pool's idle threads poll before they sleep.
    let spinDuration: Duration

    init(spinDuration: Duration = ComputePool.defaultSpinDuration) {
        self.spinDuration = spinDuration
    }

    /// Pool threads asleep on their condition (tests).
    var sleepingThreads: Int { sleepers.load(ordering: .sequentiallyConsistent) }

    /// The job in progress: set by `run` before it publishes a new generation, read by the workers
    /// after they see it.
    private struct Job {
        var count = 0
        var workers = 0
        var body: ((Int, Int) -> Void)?
    }

    private var job = Job()
    /// Incremented once per job; a pool thread runs a job when it sees a value it has not run.
    private let generation = Atomic<Int>(0)
    /// Items claimed so far in the current job.
    private let nextItem = Atomic<Int>(0)
    /// Pool threads that have not yet finished the current job.
    private let unfinished = Atomic<Int>(0)
    /// Pool threads asleep (or about to sleep) on `wake`.
    private let sleepers = Atomic<Int>(0)
    /// Incremented by `park`: a polling thread that sees it change stops polling and sleeps.
    private let parkRequests = Atomic<Int>(0)
    /// Held by the one caller whose job is in progress.
    private let busy = Atomic<Bool>(false)
    private let wake = NSCondition()
    /// Pool threads started so far (workers 1...threadCount); grown under `busy`.
    private var threadCount = 0

    /// Runs `body(item, worker)` for every item of `0..<count` on `workers` workers (the caller is
    /// worker 0), each claiming the next item; returns when all calls have returned. Returns false,
    /// having run nothing, when the pool is busy with another job.
    func run(count: Int, workers: Int, _ body: (Int, Int) -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        while threadCount < workers - 1 {
            threadCount += 1
            let index = threadCount
            let before = generation.load(ordering: .acquiring)  // the thread's first job is the next one
            let thread = Thread { [unowned self] in self.poolThread(worker: index, seen: before) }
            thread.name = "switchyard-compute-\(index)"
            thread.start()
        }
        withoutActuallyEscaping(body) { body in
            job = Job(count: count, workers: workers, body: body)
            nextItem.store(0, ordering: .relaxed)
            unfinished.store(threadCount, ordering: .relaxed)
            generation.wrappingAdd(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                wake.lock()
                wake.broadcast()
                wake.unlock()
            }
            claimItems(worker: 0)
            var polls = 0
            while unfinished.load(ordering: .acquiring) > 0 {
                polls += 1
                if polls < 4096 { sy_cpu_relax() } else { sched_yield() }
            }
            job.body = nil
        }
        return true
    }

    /// Idle pool threads stop polling and sleep until the next job, instead of at the end of their
    /// `spinDuration`. For a process about to wait far longer than the poll (a router awaiting its
    /// workers' replies, a worker that has sent its reply): the polling would only keep a core from
    /// the processes doing the work. Threads running a job are not affected.
    func park() {
        parkRequests.wrappingAdd(1, ordering: .relaxed)
    }

    private func claimItems(worker: Int) {
        guard worker < job.workers, let body = job.body else { return }
        while true {
            let item = nextItem.wrappingAdd(1, ordering: .relaxed).oldValue
            guard item < job.count else { return }
            body(item, worker)
        }
    }

    private func poolThread(worker: Int, seen first: Int) {
        var seen = first
        let clock = ContinuousClock()
        while true {
            var current = generation.load(ordering: .acquiring)
            if current == seen {
                let deadline = clock.now + spinDuration
                let parked = parkRequests.load(ordering: .relaxed)
                var polls = 0
                while current == seen {
                    sy_cpu_relax()
                    polls += 1
                    if polls & 15 == 0, parkRequests.load(ordering: .relaxed) != parked { break }
                    if polls & 255 == 0, clock.now >= deadline { break }
                    current = generation.load(ordering: .acquiring)
                }
                if current == seen { current = sleep(while: seen) }
            }
            seen = current
            claimItems(worker: worker)
            unfinished.wrappingSubtract(1, ordering: .releasing)
        }
    }

    /// Sleeps until the generation moves past `seen`; returns the new generation.
    private func sleep(while seen: Int) -> Int {
        wake.lock()
        sleepers.wrappingAdd(1, ordering: .sequentiallyConsistent)
        var current = generation.load(ordering: .sequentiallyConsistent)
        while current == seen {
            wake.wait()
            current = generation.load(ordering: .sequentiallyConsistent)
        }
        sleepers.wrappingSubtract(1, ordering: .sequentiallyConsistent)
        wake.unlock()
        return current
    }
}
