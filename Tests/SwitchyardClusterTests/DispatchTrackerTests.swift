import Testing
import SwitchyardModel
@testable import SwitchyardCluster

/// The dispatch bookkeeping as a pure state machine: no sockets, no clock (instants are made up).
@Suite("DispatchTracker")
struct DispatchTrackerTests {
    /// Rows for some experts: two rows each.
    struct Rows: DispatchPayload, Equatable {
        var experts: [UInt32]
        var totalRows: Int { experts.count * 2 }
        var byteCount: Int { totalRows * 16 }
        func subset(experts wanted: Set<UInt32>) -> Rows? {
            let kept = experts.filter(wanted.contains)
            return kept.isEmpty ? nil : Rows(experts: kept)
        }
    }

    typealias Tracker = DispatchTracker<Rows>
    let t0 = ContinuousClock.now
    let timeout = Duration.seconds(2)

    func key(_ expert: Int) -> ExpertKey { ExpertKey(layer: 0, expert: expert) }

    /// Experts 0 and 1 on a and b, expert 2 on b and c.
    var routing: Tracker.Routing { [key(0): ["a", "b"], key(1): ["a", "b"], key(2): ["b", "c"]] }

    func sends(_ actions: [Tracker.Action]) -> [(worker: String, experts: [UInt32], id: UInt64)] {
        actions.compactMap { if case .send(let s) = $0 { (s.worker, s.payload.experts, s.dispatchID) } else { nil } }
    }

    func resumes(_ actions: [Tracker.Action]) -> [(call: UInt64, failure: ClusterError?)] {
        actions.compactMap { if case .resume(let call, let failure) = $0 { (call, failure) } else { nil } }
    }

    func missed(_ actions: [Tracker.Action]) -> [String] {
        actions.compactMap { if case .missedDeadline(let worker) = $0 { worker } else { nil } }
    }

    @Test func callFinishesWhenItsLastDispatchIsAnswered() {
        var tracker = Tracker(timeout: timeout)
        let call = tracker.open(layer: 0, microBatch: 1)
        let sent = sends(tracker.enqueue(call: call, parts: [("a", Rows(experts: [0, 1])), ("c", Rows(experts: [2]))], routing: routing, now: t0))
        #expect(sent.map(\.worker) == ["a", "c"])
        #expect(tracker.inFlightRows == ["a": 4, "c": 2])
        let result3 = tracker.answered(sent[0].id, from: "a")
        #expect(result3.isEmpty)
        // A reply from the wrong worker is not an answer.
        let result4 = tracker.answered(sent[1].id, from: "a")
        #expect(result4.isEmpty)
        let done = resumes(tracker.answered(sent[1].id, from: "c"))
        #expect(done.count == 1 && done[0].call == call && done[0].failure == nil)
        #expect(tracker.dispatches.isEmpty && tracker.calls.isEmpty && tracker.inFlightRows.isEmpty)
    }

    @Test func callWithoutPartsFinishesAtOnce() {
        var tracker = Tracker(timeout: timeout)
        let call = tracker.open(layer: 0, microBatch: 0)
        let done = resumes(tracker.enqueue(call: call, parts: [], routing: routing, now: t0))
        #expect(done.count == 1 && done[0].failure == nil)
    }

    @Test func partForAWorkerThatNoLongerHoldsGoesToACurrentHolder() {
        var tracker = Tracker(timeout: timeout)
        let call = tracker.open(layer: 0, microBatch: 0)
        let sent = sends(tracker.enqueue(call: call, parts: [("gone", Rows(experts: [0, 1]))], routing: routing, now: t0))
        #expect(sent.map(\.worker) == ["a"] && sent[0].experts == [0, 1])
        #expect(tracker.statistics.resends == 1)
    }

    @Test func errorReplyIsResentElsewhereAndSplitWhenNoHolderHasItAll() {
        var tracker = Tracker(timeout: timeout)
        let call = tracker.open(layer: 0, microBatch: 0)
        let first = sends(tracker.enqueue(call: call, parts: [("b", Rows(experts: [0, 1, 2]))], routing: routing, now: t0))
        let again = sends(tracker.failed(first[0].id, from: "b", because: .workerFailed(worker: "b", message: "oom"), routing: routing, now: t0))
        #expect(again.map(\.worker) == ["a", "c"])
        #expect(again.map(\.experts) == [[0, 1], [2]])
        _ = tracker.answered(again[0].id, from: "a")
        let done = resumes(tracker.answered(again[1].id, from: "c"))
        #expect(done.count == 1 && done[0].failure == nil)
    }

    @Test func noOtherHolderFailsTheCallAndLateRepliesAreDropped() {
        var tracker = Tracker(timeout: timeout)
        let call = tracker.open(layer: 0, microBatch: 0)
        let first = sends(tracker.enqueue(call: call, parts: [("c", Rows(experts: [2]))], routing: [key(2): ["c"]], now: t0))
        let actions = tracker.workerGone("c", because: .workerLost(worker: "c", reason: "dead"), routing: [:], now: t0)
        let done = resumes(actions)
        #expect(done.count == 1 && done[0].failure == .workerLost(worker: "c", reason: "dead"))
        let result5 = tracker.answered(first[0].id, from: "c")
        #expect(result5.isEmpty)
        #expect(tracker.statistics.failedCalls == 1 && tracker.inFlightRows.isEmpty)
    }

    @Test func attemptsAreBounded() {
        var tracker = Tracker(timeout: timeout, maxAttempts: 2)
        let wide: Tracker.Routing = [key(0): ["a", "b", "c"]]
        let call = tracker.open(layer: 0, microBatch: 0)
        let first = sends(tracker.enqueue(call: call, parts: [("a", Rows(experts: [0]))], routing: wide, now: t0))
        let second = sends(tracker.failed(first[0].id, from: "a", because: .timeout(worker: "a"), routing: wide, now: t0))
        #expect(second.map(\.worker) == ["b"])
        let third = tracker.failed(second[0].id, from: "b", because: .timeout(worker: "b"), routing: wide, now: t0)
        #expect(sends(third).isEmpty && resumes(third).first?.failure == .timeout(worker: "b"))
    }

    /// Gray failure: the worker missed a deadline, so everything in flight to it (not only the
    /// overdue dispatch) goes to other holders, and the shell hears which worker missed.
    @Test func missedDeadlineReportsTheWorkerAndResendsAllItsDispatches() {
        var tracker = Tracker(timeout: timeout)
        let early = tracker.open(layer: 0, microBatch: 0)
        let a1 = sends(tracker.enqueue(call: early, parts: [("a", Rows(experts: [0]))], routing: routing, now: t0))
        let late = tracker.open(layer: 0, microBatch: 1)
        _ = sends(tracker.enqueue(call: late, parts: [("a", Rows(experts: [1]))], routing: routing, now: t0 + .seconds(1)))
        let result6 = tracker.expire(now: t0 + .milliseconds(1999), routing: routing)
        #expect(result6.isEmpty)
        let actions = tracker.expire(now: t0 + timeout, routing: routing)
        #expect(missed(actions) == ["a"])
        #expect(sends(actions).map(\.worker) == ["b", "b"])
        #expect(tracker.inFlight(to: "a").isEmpty && tracker.statistics.timeouts == 1)
        // The silent worker's late answer is dropped; b's answers finish both calls.
        let result7 = tracker.answered(a1[0].id, from: "a")
        #expect(result7.isEmpty)
        var finished = 0
        for sent in sends(actions) { finished += resumes(tracker.answered(sent.id, from: "b")).count }
        #expect(finished == 2)
    }

    @Test func stopFailsEveryCall() {
        var tracker = Tracker(timeout: timeout)
        let call = tracker.open(layer: 0, microBatch: 0)
        _ = tracker.enqueue(call: call, parts: [("a", Rows(experts: [0]))], routing: routing, now: t0)
        let done = resumes(tracker.stop())
        #expect(done.count == 1 && done[0].failure == .stopped && tracker.dispatches.isEmpty)
    }
}
