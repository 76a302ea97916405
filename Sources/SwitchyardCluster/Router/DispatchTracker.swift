import SwitchyardModel
import SwitchyardWire

/// What a dispatch carries: rows for some experts of one layer, splittable by expert so that a
/// re-send can go to several holders.
package protocol DispatchPayload: Sendable {
    /// The experts the payload has rows for.
    var experts: [UInt32] { get }
    /// Rows in the payload (its load on a worker).
    var totalRows: Int { get }
    /// Bytes of row data (statistics).
    var byteCount: Int { get }
    /// The part of the payload for `experts`, or nil when it has none of them.
    func subset(experts: Set<UInt32>) -> Self?
}

extension WorkerDispatch: DispatchPayload {
    package var byteCount: Int { rows.count }
    package func subset(experts: Set<UInt32>) -> WorkerDispatch? { subset(experts: experts, worker: nil) }
}

/// The router's dispatch bookkeeping as a pure state machine: which layer calls wait for which
/// dispatches, which worker each dispatch went to and until when, and where its rows go when that
/// worker cannot answer. Events (`enqueue`, `answered`, `failed`, `workerGone`, `expire`, `stop`)
/// take the current routing table and time and return actions; the shell encodes and sends the
/// `send`s and resumes the `resume`d calls. No sockets, clocks or locks here.
///
/// A dispatch keeps its payload until its reply arrives. When its worker refuses it, is lost or
/// misses its deadline, the payload is re-sent (split by expert when no single holder has all of
/// it) to other holders; workers a lineage was sent to are never chosen again, and after
/// `maxAttempts` sends the layer call fails. A missed deadline also reports the worker
/// (`missedDeadline`) and re-sends everything else in flight to it: a worker that stopped
/// answering answers none of it.
package struct DispatchTracker<Payload: DispatchPayload>: Sendable {
    /// One dispatch in flight.
    package struct Dispatch: Sendable {
        package var worker: String
        package var call: UInt64
        package var payload: Payload
        package var deadline: ContinuousClock.Instant
        /// 1 for the first send, +1 per re-send of (part of) the same rows.
        package var attempt: Int
        /// Workers this lineage was sent to (never chosen again).
        package var tried: Set<String>
    }

    /// One layer of one micro-batch waiting for its dispatches.
    package struct Call: Sendable {
        package var layer: Int
        package var microBatch: Int
        package var dispatchIDs: Set<UInt64>
    }

    /// A dispatch to encode and send.
    package struct Send: Sendable {
        package var dispatchID: UInt64
        package var call: UInt64
        package var worker: String
        package var layer: Int
        package var microBatch: Int
        package var payload: Payload
    }

    /// What the shell must do.
    package enum Action: Sendable {
        /// Send this dispatch to its worker.
        case send(Send)
        /// Resume a layer call: finished when `failure` is nil, else failed.
        case resume(call: UInt64, failure: ClusterError?)
        /// A worker let a dispatch pass its deadline (gray failure: it may be stuck).
        case missedDeadline(worker: String)
    }

    /// Holders of each key that new and re-sent dispatches may use.
    package typealias Routing = [ExpertKey: [String]]

    /// How long a worker has to answer a dispatch.
    package let timeout: Duration
    /// Sends of one lineage (first plus re-sends) before its call fails.
    package let maxAttempts: Int
    package private(set) var calls: [UInt64: Call] = [:]
    package private(set) var dispatches: [UInt64: Dispatch] = [:]
    /// Rows in flight per worker: its load.
    package private(set) var inFlightRows: [String: Int] = [:]
    package var statistics = ClusterStatistics()
    private var nextID: UInt64 = 1

    package init(timeout: Duration, maxAttempts: Int = 3) {
        self.timeout = timeout
        self.maxAttempts = max(1, maxAttempts)
    }

    // MARK: Events

    /// Opens a layer call; its dispatches follow with `enqueue`.
    package mutating func open(layer: Int, microBatch: Int) -> UInt64 {
        let id = makeID()
        calls[id] = Call(layer: layer, microBatch: microBatch, dispatchIDs: [])
        return id
    }

    /// The dispatches of a call, each to the worker chosen for it. A part whose worker no longer
    /// holds all its experts in `routing` (it was told to drop them, or died, since it was chosen)
    /// goes to current holders instead. A call with no parts finishes at once.
    package mutating func enqueue(call callID: UInt64, parts: [(worker: String, payload: Payload)], routing: Routing,
                                  now: ContinuousClock.Instant) -> [Action] {
        guard let call = calls[callID] else { return [] }
        var actions: [Action] = []
        for part in parts {
            if Self.holds(part.worker, part.payload.experts, layer: call.layer, routing) {
                actions.append(record(part.payload, to: part.worker, call: callID, attempt: 1, tried: [], now: now))
            } else {
                let lost = ClusterError.workerLost(worker: part.worker, reason: "it no longer holds the experts")
                actions += resend(part.payload, call: callID, attempt: 1, tried: [part.worker], because: lost, routing: routing, now: now)
            }
            // The call failed: sends decided before that are moot.
            if calls[callID] == nil { return actions.filter { if case .send = $0 { false } else { true } } }
        }
        if calls[callID]?.dispatchIDs.isEmpty == true {
            calls[callID] = nil
            actions.append(.resume(call: callID, failure: nil))
        }
        return actions
    }

    /// The dispatch `id` in flight to `worker`, if it is (a reply to anything else is dropped).
    package func inFlight(_ id: UInt64, from worker: String) -> Dispatch? {
        guard let dispatch = dispatches[id], dispatch.worker == worker, calls[dispatch.call] != nil else { return nil }
        return dispatch
    }

    /// A reply was combined: the call finishes when it was its last dispatch.
    package mutating func answered(_ id: UInt64, from worker: String) -> [Action] {
        guard inFlight(id, from: worker) != nil, let dispatch = takeOff(id), let call = calls[dispatch.call] else { return [] }
        guard call.dispatchIDs.isEmpty else { return [] }
        calls[dispatch.call] = nil
        return [.resume(call: dispatch.call, failure: nil)]
    }

    /// The worker answered with an error (or a reply that cannot be combined): re-send elsewhere.
    package mutating func failed(_ id: UInt64, from worker: String, because failure: ClusterError, routing: Routing,
                                 now: ContinuousClock.Instant) -> [Action] {
        guard inFlight(id, from: worker) != nil else { return [] }
        return rescue(id, because: failure, routing: routing, now: now)
    }

    /// A worker is gone (dead, left, released, evicted): everything in flight to it goes elsewhere.
    package mutating func workerGone(_ worker: String, because failure: ClusterError, routing: Routing,
                                     now: ContinuousClock.Instant) -> [Action] {
        var actions: [Action] = []
        for id in inFlight(to: worker) { actions += rescue(id, because: failure, routing: routing, now: now) }
        inFlightRows[worker] = nil
        return actions
    }

    /// Time passed: every worker with an overdue dispatch missed its deadline; all that is in
    /// flight to it is re-sent.
    package mutating func expire(now: ContinuousClock.Instant, routing: Routing) -> [Action] {
        let overdue = dispatches.filter { $0.value.deadline <= now }
        guard !overdue.isEmpty else { return [] }
        statistics.timeouts += UInt64(overdue.count)
        var actions: [Action] = []
        for worker in Set(overdue.values.map(\.worker)).sorted() {
            actions.append(.missedDeadline(worker: worker))
            actions += workerGone(worker, because: .timeout(worker: worker), routing: routing, now: now)
        }
        return actions
    }

    /// Fails a call (its dispatches are forgotten; late replies to them are dropped).
    package mutating func fail(call callID: UInt64, because failure: ClusterError) -> [Action] {
        guard let call = calls.removeValue(forKey: callID) else { return [] }
        for id in call.dispatchIDs { _ = takeOff(id) }
        statistics.failedCalls += 1
        return [.resume(call: callID, failure: failure)]
    }

    /// Fails everything (the router stops).
    package mutating func stop() -> [Action] {
        let actions = calls.keys.sorted().map { Action.resume(call: $0, failure: .stopped) }
        calls = [:]
        dispatches = [:]
        inFlightRows = [:]
        return actions
    }

    /// Dispatches in flight to `worker`, oldest first.
    package func inFlight(to worker: String) -> [UInt64] {
        dispatches.filter { $0.value.worker == worker }.map(\.key).sorted()
    }

    // MARK: Internals

    private mutating func makeID() -> UInt64 {
        defer { nextID += 1 }
        return nextID
    }

    private static func holds(_ worker: String, _ experts: [UInt32], layer: Int, _ routing: Routing) -> Bool {
        experts.allSatisfy { routing[ExpertKey(layer: layer, expert: Int($0))]?.contains(worker) == true }
    }

    private mutating func record(_ payload: Payload, to worker: String, call callID: UInt64, attempt: Int, tried: Set<String>,
                                 now: ContinuousClock.Instant) -> Action {
        let call = calls[callID]!
        let id = makeID()
        dispatches[id] = Dispatch(worker: worker, call: callID, payload: payload, deadline: now + timeout, attempt: attempt,
                                  tried: tried.union([worker]))
        calls[callID]!.dispatchIDs.insert(id)
        inFlightRows[worker, default: 0] += payload.totalRows
        statistics.dispatches += 1
        statistics.rowsSent += UInt64(payload.totalRows)
        statistics.bytesSent += UInt64(payload.byteCount)
        return .send(Send(dispatchID: id, call: callID, worker: worker, layer: call.layer, microBatch: call.microBatch, payload: payload))
    }

    private mutating func takeOff(_ id: UInt64) -> Dispatch? {
        guard let dispatch = dispatches.removeValue(forKey: id) else { return nil }
        inFlightRows[dispatch.worker, default: 0] -= dispatch.payload.totalRows
        if inFlightRows[dispatch.worker] == 0 { inFlightRows[dispatch.worker] = nil }
        calls[dispatch.call]?.dispatchIDs.remove(id)
        return dispatch
    }

    private mutating func rescue(_ id: UInt64, because failure: ClusterError, routing: Routing, now: ContinuousClock.Instant) -> [Action] {
        guard let dispatch = takeOff(id), calls[dispatch.call] != nil else { return [] }
        guard dispatch.attempt < maxAttempts else { return fail(call: dispatch.call, because: failure) }
        return resend(dispatch.payload, call: dispatch.call, attempt: dispatch.attempt + 1, tried: dispatch.tried,
                      because: failure, routing: routing, now: now)
    }

    /// Sends `payload` to holders outside `tried`, split by expert when needed; fails the call
    /// when no such holder exists.
    private mutating func resend(_ payload: Payload, call callID: UInt64, attempt: Int, tried: Set<String>, because failure: ClusterError,
                                 routing: Routing, now: ContinuousClock.Instant) -> [Action] {
        guard let call = calls[callID] else { return [] }
        let plan = DispatchRescue.plan(experts: payload.experts, layer: call.layer, routing: routing, load: inFlightRows, excluded: tried)
        guard case .resend(let groups) = plan else { return fail(call: callID, because: failure) }
        var actions: [Action] = []
        for (worker, experts) in groups.sorted(by: { $0.key < $1.key }) {
            guard let part = payload.subset(experts: experts) else { continue }
            actions.append(record(part, to: worker, call: callID, attempt: attempt, tried: tried, now: now))
        }
        guard !actions.isEmpty else { return fail(call: callID, because: failure) }
        statistics.resends += 1
        return actions
    }
}
