import SwitchyardModel
import SwitchyardTensor
import SwitchyardWire
import SwitchyardZMQ

extension ClusterService {
    /// The dispatch tracker's actions as the router uses them.
    package typealias DispatchAction = DispatchTracker<WorkerDispatch>.Action

    /// Everything the reactor thread and engine threads share, behind `ClusterService.state`: the
    /// worker registry and the dispatch tracker (both pure state machines), the continuations and
    /// output matrices of waiting layer calls, and counters.
    package struct State {
        /// A layer call waiting for its replies: whom to resume and where replies are added.
        struct Waiting {
            var continuation: CheckedContinuation<Void, any Error>
            var output: Matrix
            /// The longest compute time one worker reported for this call so far.
            var slowestComputeMicros: UInt64 = 0
        }

        /// A layer call to resume: with nil it finished, else it failed.
        typealias Completion = (continuation: CheckedContinuation<Void, any Error>, failure: (any Error)?)

        var registry: WorkerRegistry
        var tracker: DispatchTracker<WorkerDispatch>
        var waiting: [UInt64: Waiting] = [:]
        var heartbeatSequence: UInt64 = 0
        var drops = DropCounter()
        var refusedRegistrations: UInt64 = 0
        var stopped = false
        var wasComplete = false
        /// Routing ids of workers released after a drain or evicted: their last heartbeats and
        /// goodbye are expected, not unknown-peer errors.
        var released: Set<[UInt8]> = []
        var registrations = RegistrationLimiter()
        /// Shared-memory lanes of workers on this host, by worker id (`ClusterService+Lanes`).
        var lanes: [String: RouterLane] = [:]

        var stats: ClusterStatistics {
            get { tracker.statistics }
            set { tracker.statistics = newValue }
        }

        var inFlightRows: [String: Int] { tracker.inFlightRows }

        /// Applies tracker actions while the lock is held: encodes each send still in flight and
        /// writes it into the worker's shared-memory lane, or hands it to `send` (the reactor's
        /// queue, so it keeps its order relative to assignments decided later; a lane dispatch may
        /// overtake an assignment, and a worker that dropped its experts meanwhile answers with an
        /// error, which re-sends the rows to their new holder), turns resumes into completions, and reports missed deadlines to the
        /// registry. Returns the completions and the registry's actions, both for after the lock.
        mutating func apply(_ actions: [DispatchAction], now: ContinuousClock.Instant,
                            send: (Message) -> Void) -> (completions: [Completion], registry: [WorkerRegistry.Action]) {
            var pending = actions[...]
            var completions: [Completion] = []
            var registryActions: [WorkerRegistry.Action] = []
            // Lanes written to, rung together once every dispatch of the batch is in its ring.
            var doorbells: [SharedMemoryLane] = []
            defer { for lane in doorbells { lane.ringDoorbell() } }
            while let action = pending.popFirst() {
                switch action {
                case .send(let dispatch):
                    // A send whose call failed later in the same batch is moot.
                    guard tracker.dispatches[dispatch.dispatchID] != nil else { continue }
                    guard let routingID = registry.workers[dispatch.worker]?.routingID else { continue }  // its deadline will pass
                    let header = dispatch.payload.header(dispatchID: dispatch.dispatchID, step: dispatch.call,
                                                         microBatch: UInt32(dispatch.microBatch), layer: UInt32(dispatch.layer))
                    do {
                        let frames = try WireMessage.dispatch(header, rows: dispatch.payload.rows).encode()
                        if let lane = lanes[dispatch.worker], lane.routingID == routingID {
                            // The lane's lock is uncontended: sends happen under the state lock.
                            if lane.lane.send(frames: frames, ringing: false) == .sent {
                                if !doorbells.contains(where: { $0 === lane.lane }) { doorbells.append(lane.lane) }
                                stats.laneDispatches += 1
                                continue
                            }
                            stats.laneFallbacks += 1
                        }
                        send(WireFrames.message(frames: frames, routingID: routingID))
                    } catch {
                        let failure = ClusterError.workerFailed(worker: "router", message: "cannot encode a dispatch: \(error)")
                        pending.append(contentsOf: tracker.fail(call: dispatch.call, because: failure))
                    }
                case .resume(let call, let failure):
                    if let waiting = waiting.removeValue(forKey: call) {
                        if failure == nil { stats.slowestComputeMicros += waiting.slowestComputeMicros }
                        completions.append((waiting.continuation, failure))
                    }
                case .missedDeadline(let worker):
                    registryActions += registry.missedDeadline(id: worker, now: now)
                }
            }
            return (completions, registryActions)
        }
    }
}
