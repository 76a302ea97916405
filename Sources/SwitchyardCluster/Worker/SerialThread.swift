import Foundation

/// One dedicated OS thread running submitted jobs one at a time, in submission order.
///
/// The worker computes experts and loads weights on threads like this, never on the reactor
/// thread (which must keep heartbeats flowing) nor on Swift's cooperative pool (BLAS blocks).
final class SerialThread: @unchecked Sendable {
    // Safety: `jobs` and `stopped` are only touched with `condition` locked.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var stopped = false
    private var finished = false
    private var running = false
    /// Set while a caller runs a job on its own thread (`runHereIfIdle`): the thread starts nothing then.
    private var borrowed = false
    private let name: String

    /// The thread starts with the first job, so an object never used leaves no thread behind.
    init(name: String) {
        self.name = name
    }

    /// Jobs waiting or running.
    var pending: Int {
        condition.lock()
        defer { condition.unlock() }
        return jobs.count
    }

    /// Queues `job`; false (and not run) once stopped.
    @discardableResult
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopped else { return false }
        jobs.append(job)
        if !running {
            running = true
            let thread = Thread { [self] in loop() }
            thread.name = name
            thread.start()
        }
        condition.signal()
        return true
    }

    /// Runs `job` on the calling thread now, in the thread's place, when nothing is queued or
    /// running; jobs submitted meanwhile wait until it returns, so jobs still run one at a time in
    /// the order they started. False (and `job` not run) when the thread is busy or stopped.
    ///
    /// Saves the two thread hand-overs of `submit` (wake the thread; it wakes whoever waits for
    /// the result) for short jobs whose caller may block for their length.
    func runHereIfIdle(_ job: () -> Void) -> Bool {
        condition.lock()
        guard !stopped, jobs.isEmpty, !borrowed else {
            condition.unlock()
            return false
        }
        borrowed = true
        condition.unlock()
        job()
        condition.lock()
        borrowed = false
        condition.broadcast()
        condition.unlock()
        return true
    }

    /// Runs `job` on the thread and waits for it (call from another thread only).
    func run<T: Sendable>(_ job: @escaping @Sendable () -> T) -> T? {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        guard submit({ box.value = job(); done.signal() }) else { return nil }
        done.wait()
        return box.value
    }

    /// Lets queued jobs finish, then ends the thread, without waiting for it.
    func requestStop() {
        condition.lock()
        stopped = true
        if !running { finished = true }
        condition.broadcast()
        condition.unlock()
    }

    /// Lets queued jobs finish, then ends the thread; waits at most `timeout` for it.
    func stop(timeout: Duration = .seconds(5)) {
        condition.lock()
        stopped = true
        if !running { finished = true }
        condition.broadcast()
        let deadline = Date().addingTimeInterval(timeout.seconds)
        while !finished {
            if !condition.wait(until: deadline) { break }
        }
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while (jobs.isEmpty && !stopped) || borrowed { condition.wait() }
            if jobs.isEmpty {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let job = jobs[0]
            condition.unlock()
            job()
            condition.lock()
            jobs.removeFirst()
            condition.unlock()
        }
    }
}

/// Carries a result out of a job; written once before the semaphore is signalled.
private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
