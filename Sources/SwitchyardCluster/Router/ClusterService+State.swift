import SwitchyardModel
import SwitchyardTensor
import SwitchyardWire
import SwitchyardZMQ

extension ClusterService {
    /// Everything the reactor thread and engine threads share, behind `ClusterService.state`.
    ///
    /// The dispatch bookkeeping methods here do no I/O: they return the messages to queue (the
    /// caller queues them while still holding the lock, so they keep their order relative to
    /// assignments decided later) and the layer calls to resume.
    package struct State {
        /// One dispatch in flight: its rows stay here until the reply arrives, so it can be re-sent.
        struct PendingDispatch {
            var worker: String
            var call: UInt64
            var packed: WorkerDispatch
            var header: Switchyard_V1_DispatchHeader
            var deadline: ContinuousClock.Instant
            /// 1 for the first send, +1 per re-send of (part of) the same rows.
            var attempt: Int
            /// Workers this lineage was sent to (not chosen again).
            var tried: Set<String>
        }

        /// One layer of one micro-batch waiting for all its dispatches.
        struct PendingCall {
            var continuation: CheckedContinuation<Void, any Error>
            var output: Matrix
            var layer: Int
            var microBatch: Int
            var dispatchIDs: Set<UInt64>
        }

        /// A layer call to resume: with nil it finished, else it failed.
        typealias Completion = (continuation: CheckedContinuation<Void, any Error>, failure: (any Error)?)

        var registry: WorkerRegistry
        var calls: [UInt64: PendingCall] = [:]
        var dispatches: [UInt64: PendingDispatch] = [:]
        var inFlightRows: [String: Int] = [:]
        var nextID: UInt64 = 1
        var heartbeatSequence: UInt64 = 0
        var drops = DropCounter()
        var refusedRegistrations: UInt64 = 0
        var stopped = false
        var wasComplete = false
        var stats = ClusterStatistics()
        /// Routing ids of workers released after a drain: their last heartbeats and goodbye are
        /// expected, not unknown-peer errors.
        var released: Set<[UInt8]> = []

        mutating func makeID() -> UInt64 {
            defer { nextID += 1 }
            return nextID
        }

        /// Whether `worker` is registered and holds every expert of `dispatch` (layer `layer`).
        func holds(_ worker: String, _ dispatch: WorkerDispatch, layer: Int) -> Bool {
            guard let held = registry.workers[worker]?.held else { return false }
            return dispatch.segments.allSatisfy { held.contains(ExpertKey(layer: layer, expert: Int($0.expert))) }
        }

        /// Records a dispatch in flight to `worker` and returns its id and message.
        mutating func enqueue(_ packed: WorkerDispatch, to worker: WorkerRegistry.Worker, call callID: UInt64, attempt: Int,
                              tried: Set<String>, deadline: ContinuousClock.Instant) throws -> (id: UInt64, message: Message) {
            guard var call = calls[callID] else { throw ClusterError.stopped }
            let dispatchID = makeID()
            let header = packed.header(dispatchID: dispatchID, step: callID, microBatch: UInt32(call.microBatch), layer: UInt32(call.layer))
            let message = try WireFrames.message(.dispatch(header, rows: packed.rows), routingID: worker.routingID)
            dispatches[dispatchID] = PendingDispatch(worker: worker.id, call: callID, packed: packed, header: header, deadline: deadline,
                                                     attempt: attempt, tried: tried.union([worker.id]))
            call.dispatchIDs.insert(dispatchID)
            calls[callID] = call
            inFlightRows[worker.id, default: 0] += packed.totalRows
            stats.dispatches += 1
            stats.rowsSent += UInt64(packed.totalRows)
            stats.bytesSent += UInt64(packed.rows.count)
            return (dispatchID, message)
        }

        /// Takes a dispatch off its worker and re-sends its rows to other live holders of its
        /// experts (worker `excluding` and those tried before never again). When no holder is left,
        /// or the lineage used up its attempts, the whole layer call fails with `failure`.
        mutating func rescue(_ dispatchID: UInt64, excluding: String?, because failure: ClusterError,
                             deadline: ContinuousClock.Instant, messages: inout [Message]) -> Completion? {
            guard let dispatch = takeOff(dispatchID) else { return nil }
            guard let call = calls[dispatch.call] else { return nil }
            var tried = dispatch.tried
            if let excluding { tried.insert(excluding) }
            guard dispatch.attempt < ClusterService.maxDispatchAttempts else { return fail(dispatch.call, failure) }
            let plan = DispatchRescue.plan(experts: dispatch.packed.experts, layer: call.layer, routing: registry.routing,
                                           load: inFlightRows, excluded: tried)
            guard case .resend(let groups) = plan else { return fail(dispatch.call, failure) }
            var sent = 0
            do {
                for (worker, experts) in groups.sorted(by: { $0.key < $1.key }) {
                    guard let holder = registry.workers[worker], let part = dispatch.packed.subset(experts: experts) else { continue }
                    messages.append(try enqueue(part, to: holder, call: dispatch.call, attempt: dispatch.attempt + 1, tried: tried,
                                                deadline: deadline).message)
                    sent += 1
                }
            } catch {
                return fail(dispatch.call, error)
            }
            guard sent > 0 else { return fail(dispatch.call, failure) }
            stats.resends += 1
            return nil
        }

        /// Combines nothing: removes a dispatch from the books (its reply arrived or it is re-sent).
        mutating func takeOff(_ dispatchID: UInt64) -> PendingDispatch? {
            guard let dispatch = dispatches.removeValue(forKey: dispatchID) else { return nil }
            inFlightRows[dispatch.worker, default: 0] -= dispatch.packed.totalRows
            calls[dispatch.call]?.dispatchIDs.remove(dispatchID)
            return dispatch
        }

        /// A reply was combined: the call finishes when it was the last dispatch.
        mutating func answered(_ dispatchID: UInt64) -> Completion? {
            guard let dispatch = takeOff(dispatchID), let call = calls[dispatch.call] else { return nil }
            guard call.dispatchIDs.isEmpty else { return nil }
            calls[dispatch.call] = nil
            return (call.continuation, nil)
        }

        /// Fails a layer call and forgets its dispatches (late replies to them are dropped).
        mutating func fail(_ callID: UInt64, _ failure: any Error) -> Completion? {
            guard let call = calls.removeValue(forKey: callID) else { return nil }
            for id in call.dispatchIDs { _ = takeOff(id) }
            stats.failedCalls += 1
            return (call.continuation, failure)
        }

        /// Dispatches in flight to `worker`, oldest first.
        func inFlight(to worker: String) -> [UInt64] {
            dispatches.filter { $0.value.worker == worker }.map(\.key).sorted()
        }
    }
}
