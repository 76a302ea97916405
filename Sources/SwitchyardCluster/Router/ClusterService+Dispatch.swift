import SwitchyardModel
import SwitchyardTensor
import SwitchyardWire
import SwitchyardZMQ

extension ClusterService {
    /// Sends every routed row of one layer to a worker holding its expert (the least loaded one
    /// when several do), one message per worker, and adds the replies into `output`.
    func computeFFN(layer: Int, microBatch: Int, input: Matrix, routes: ExpertRoutes, output: Matrix) async throws {
        output.resize(rows: input.rows)
        output.zero()
        guard routes.rows > 0 else { return }
        let expertsPerLayer = modelConfig.ffnExperts(layer: layer)
        if routes.expertIDs.contains(where: { $0 < 0 }) {
            throw ClusterError.workerFailed(worker: "router", message: "routes with unused slots cannot be dispatched")
        }

        // Choose one holder per expert, least in-flight rows first.
        let (owners, workers) = try state.withLock { state -> ([Int], [WorkerRegistry.Worker]) in
            if state.stopped { throw ClusterError.stopped }
            let routing = state.registry.routing
            var owners = [Int](repeating: -1, count: expertsPerLayer)
            var chosen: [String: Int] = [:]
            var workers: [WorkerRegistry.Worker] = []
            var needed = Set<Int>()
            for id in routes.expertIDs where id >= 0 { needed.insert(Int(id)) }
            var missing: [String] = []
            for expert in needed.sorted() {
                guard expert < expertsPerLayer,
                      let holders = routing[ExpertKey(layer: layer, expert: expert)], !holders.isEmpty else {
                    missing.append(ExpertKey(layer: layer, expert: expert).description)
                    continue
                }
                let best = holders.min { (state.inFlightRows[$0] ?? 0, $0) < (state.inFlightRows[$1] ?? 0, $1) }!
                if chosen[best] == nil {
                    chosen[best] = workers.count
                    workers.append(state.registry.workers[best]!)
                }
                owners[expert] = chosen[best]!
            }
            if !missing.isEmpty { throw ClusterError.expertsUnavailable(missing) }
            return (owners, workers)
        }

        var packer = RowPacker(hiddenSize: modelConfig.hiddenSize, expertsPerLayer: expertsPerLayer)
        let packed = try routes.expertIDs.withUnsafeBufferPointer { experts in
            try routes.weights.withUnsafeBufferPointer { weights in
                try packer.pack(tokens: UnsafeBufferPointer(start: input.base, count: input.rows * input.cols),
                                experts: experts, weights: weights, owners: owners, workerCount: workers.count,
                                dtype: configuration.wireDType == .bf16 ? .bf16 : .f32)
            }
        }
        guard let reactor else { throw ClusterError.stopped }
        let timeout = configuration.dispatchTimeout

        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let failure: (any Error)? = state.withLock { state in
                if state.stopped { return ClusterError.stopped }
                let callID = state.makeID()
                state.calls[callID] = State.PendingCall(continuation: continuation, output: output, layer: layer, microBatch: microBatch,
                                                        dispatchIDs: [])
                let deadline = ContinuousClock.now + timeout
                var messages: [Message] = []
                // Holders chosen before packing may have been told to drop (or died) since: their
                // dispatches go to the current holders instead.
                var stale: [(id: UInt64, worker: String)] = []
                do {
                    for dispatch in packed {
                        let worker = workers[dispatch.worker]
                        let (id, message) = try state.enqueue(dispatch, to: worker, call: callID, attempt: 1, tried: [], deadline: deadline)
                        if state.holds(worker.id, dispatch, layer: layer) { messages.append(message) } else { stale.append((id, worker.id)) }
                    }
                } catch {
                    _ = state.fail(callID, error)
                    return error
                }
                for (id, worker) in stale {
                    let reason = ClusterError.workerLost(worker: worker, reason: "it no longer holds the experts")
                    if let failed = state.rescue(id, excluding: worker, because: reason, deadline: deadline, messages: &messages) {
                        return failed.failure
                    }
                }
                // Queued while holding the state lock: a drop decided after this point (also under
                // the lock, also through the reactor's queue) reaches the worker after these rows.
                for message in messages { reactor.send(message, on: socketHandle) }
                return nil
            }
            if let failure {
                continuation.resume(throwing: failure)
            }
        }
    }

    /// Reactor thread: adds a reply's rows into its layer call's output, or re-sends its rows
    /// elsewhere when the worker answered with an error.
    func handleReply(_ reply: Switchyard_V1_DispatchReply, rows: TensorBytes?, from worker: String) {
        let entry = state.withLock { state -> (dispatch: State.PendingDispatch, output: Matrix)? in
            guard let dispatch = state.dispatches[reply.dispatchID], dispatch.worker == worker,
                  let call = state.calls[dispatch.call] else { return nil }
            return (dispatch, call.output)
        }
        guard let entry, reply.answers(entry.dispatch.header) else {
            drop(.unknownDispatch, from: worker, detail: "reply to dispatch \(reply.dispatchID) that is not in flight")
            return
        }
        var failure: ClusterError?
        if reply.status == .ok, let rows {
            do {
                try entry.dispatch.packed.combine(reply: rows, dtype: reply.dtype, into: entry.output.buffer)
            } catch {
                drop(error.reason, from: worker, detail: error.description)
                failure = .workerFailed(worker: worker, message: "malformed reply: \(error)")
            }
        } else {
            failure = .workerFailed(worker: worker, message: reply.error.isEmpty ? "error reply" : reply.error)
        }
        if let failure {
            logger.warning("worker could not answer a dispatch: re-sending it", metadata: ["worker": "\(worker)", "error": "\(failure)"])
        }
        let timeout = configuration.dispatchTimeout
        let finished = state.withLock { state -> State.Completion? in
            state.stats.bytesReceived += UInt64(rows?.count ?? 0)
            state.stats.computeMicros += reply.computeMicros
            guard let failure else { return state.answered(reply.dispatchID) }
            var messages: [Message] = []
            let failed = state.rescue(reply.dispatchID, excluding: worker, because: failure, deadline: .now + timeout, messages: &messages)
            for message in messages { reactor?.send(message, on: socketHandle) }
            return failed
        }
        resume(finished.map { [$0] } ?? [])
    }

    /// Re-sends every dispatch in flight to a worker that is gone (dead, left or released), or
    /// fails its call when no other holder has its experts.
    func rescueDispatches(to worker: String, because failure: ClusterError) {
        let timeout = configuration.dispatchTimeout
        let (finished, resent) = state.withLock { state -> ([State.Completion], Int) in
            var finished: [State.Completion] = []
            var messages: [Message] = []
            let ids = state.inFlight(to: worker)
            for id in ids {
                if let done = state.rescue(id, excluding: worker, because: failure, deadline: .now + timeout, messages: &messages) {
                    finished.append(done)
                }
            }
            state.inFlightRows[worker] = nil
            for message in messages { reactor?.send(message, on: socketHandle) }
            return (finished, ids.count)
        }
        if resent > 0 {
            logger.warning("dispatches in flight to a lost worker", metadata: [
                "worker": "\(worker)", "dispatches": "\(resent)", "failed_calls": "\(finished.count)",
            ])
        }
        resume(finished)
    }

    /// Reactor thread: re-sends (or fails) dispatches whose reply is overdue.
    func expireDispatches(now: ContinuousClock.Instant) {
        let timeout = configuration.dispatchTimeout
        let finished = state.withLock { state -> [State.Completion] in
            let overdue = state.dispatches.filter { $0.value.deadline <= now }.map { ($0.key, $0.value.worker) }.sorted { $0.0 < $1.0 }
            var finished: [State.Completion] = []
            var messages: [Message] = []
            for (id, worker) in overdue {
                state.stats.timeouts += 1
                if let done = state.rescue(id, excluding: worker, because: .timeout(worker: worker), deadline: now + timeout, messages: &messages) {
                    finished.append(done)
                }
            }
            for message in messages { reactor?.send(message, on: socketHandle) }
            return finished
        }
        if !finished.isEmpty { logger.warning("dispatches timed out", metadata: ["failed_calls": "\(finished.count)"]) }
        resume(finished)
    }

    func resume(_ completions: [State.Completion]) {
        for (continuation, failure) in completions {
            if let failure { continuation.resume(throwing: failure) } else { continuation.resume() }
        }
    }
}
