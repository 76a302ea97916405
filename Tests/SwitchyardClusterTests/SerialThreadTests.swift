import Foundation
import Testing
@testable import SwitchyardCluster

/// `SerialThread`: jobs one at a time in order, and a caller running a job in the thread's place.
@Suite struct SerialThreadTests {
    @Test func submittedJobsRunInOrderOnTheirOwnThread() {
        let thread = SerialThread(name: "sy-test-serial")
        let log = EventLog()
        for index in 0 ..< 5 { thread.submit { log.append("\(index)") } }
        let caller = pthread_self()
        let onCaller = thread.run { pthread_equal(pthread_self(), caller) != 0 }
        #expect(onCaller == false)
        #expect(log.events == ["0", "1", "2", "3", "4"])
        thread.stop()
    }

    @Test func runHereIfIdleRunsOnTheCallerWhenNothingIsQueued() {
        let thread = SerialThread(name: "sy-test-serial")
        let caller = pthread_self()
        var ranOn: pthread_t?
        let ran = thread.runHereIfIdle { ranOn = pthread_self() }
        #expect(ran)
        #expect(ranOn.map { pthread_equal($0, caller) != 0 } == true)
        thread.stop()
    }

    @Test func runHereIfIdleDeclinesWhileAJobRunsOrAfterStop() {
        let thread = SerialThread(name: "sy-test-serial")
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        thread.submit {
            started.signal()
            release.wait()
        }
        started.wait()
        var ran = false
        #expect(thread.runHereIfIdle { ran = true } == false)
        #expect(!ran)
        release.signal()
        _ = thread.run { () }  // the blocking job is done
        thread.stop()
        #expect(thread.runHereIfIdle { ran = true } == false)
        #expect(!ran)
    }

    /// A job submitted while a caller holds the thread's place waits for it: the two never overlap.
    @Test func jobsSubmittedDuringABorrowedRunWaitForIt() {
        let thread = SerialThread(name: "sy-test-serial")
        let log = EventLog()
        let submittedJobDone = DispatchSemaphore(value: 0)
        let ran = thread.runHereIfIdle {
            log.append("borrowed start")
            thread.submit {
                log.append("queued job")
                submittedJobDone.signal()
            }
            // Long enough for the thread to start and, were it not held back, run the job.
            Thread.sleep(forTimeInterval: 0.05)
            log.append("borrowed end")
        }
        #expect(ran)
        #expect(submittedJobDone.wait(timeout: .now() + 30) == .success)
        #expect(log.events == ["borrowed start", "borrowed end", "queued job"])
        thread.stop()
    }
}

/// Events appended from several threads, in the order they happened.
private final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func append(_ event: String) { lock.withLock { list.append(event) } }
    var events: [String] { lock.withLock { list } }
}
