import SwitchyardModel
import SwitchyardTensor
import SwitchyardWire
import SwitchyardZMQ

extension ClusterService {
    /// Sends every routed row of one layer to a worker holding its expert (the least loaded one
    /// when several do), one message per worker, and adds the replies into `output`.
    /// With sliced experts (`ExpertSlicing`) each routed slot becomes one per slice, in unit ids,
    /// and the workers' replies add the slices up.
    func computeFFN(layer: Int, microBatch: Int, input: Matrix, routes: ExpertRoutes, output: Matrix) async throws {
        output.resize(rows: input.rows)
        output.zero()
        guard routes.rows > 0 else { return }
        let routes = configuration.expertSlicing.expand(routes)
        let expertsPerLayer = configuration.expertSlicing.units(layer: layer, config: modelConfig)
        if routes.expertIDs.contains(where: { $0 < 0 }) {
            throw ClusterError.workerFailed(worker: "router", message: "routes with unused slots cannot be dispatched")
        }

        // Choose one holder per expert, balancing rows over the holders (`HolderChoice`; suspect
        // workers are not in the routing table: new dispatches avoid them).
        var rowsPerExpert: [Int: Int] = [:]
        for id in routes.expertIDs where id >= 0 { rowsPerExpert[Int(id), default: 0] += 1 }
        let (owners, workers) = try state.withLock { state -> ([Int], [String]) in
            if state.stopped { throw ClusterError.stopped }
            let routing = state.registry.routing
            let choice = HolderChoice.choose(rowsPerExpert: rowsPerExpert, holders: { expert in
                expert < expertsPerLayer ? routing[ExpertKey(layer: layer, expert: expert)] : nil
            }, inFlight: state.tracker.inFlightRows)
            let chosenHolders: [Int: String]
            switch choice {
            case let .success(holders): chosenHolders = holders
            case let .failure(missing):
                throw ClusterError.expertsUnavailable(missing.experts.map { ExpertKey(layer: layer, expert: $0).description })
            }
            // Workers numbered in increasing expert order, as the packer's output expects.
            var owners = [Int](repeating: -1, count: expertsPerLayer)
            var index: [String: Int] = [:]
            var workers: [String] = []
            for expert in chosenHolders.keys.sorted() {
                let holder = chosenHolders[expert]!
                if index[holder] == nil {
                    index[holder] = workers.count
                    workers.append(holder)
                }
                owners[expert] = index[holder]!
            }
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
        guard reactor != nil else { throw ClusterError.stopped }
        let parts = packed.map { (worker: workers[$0.worker], payload: $0) }

        let started = ContinuousClock.now
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            // Holders chosen before packing may have been told to drop (or died) since: the tracker
            // sends their parts to the current holders instead. Sends are queued while holding the
            // state lock: a drop decided after this point (also under the lock, also through the
            // reactor's queue) reaches the worker after these rows.
            let stopped = dispatchEvent(now: .now) { state in
                if state.stopped { return nil }
                let call = state.tracker.open(layer: layer, microBatch: microBatch)
                state.waiting[call] = State.Waiting(continuation: continuation, output: output)
                return state.tracker.enqueue(call: call, parts: parts, routing: state.registry.routing, now: .now)
            }
            if stopped { continuation.resume(throwing: ClusterError.stopped) }
        }
        let micros = UInt64(max(0, (ContinuousClock.now - started).seconds * 1e6))
        state.withLock { state in
            state.stats.layerCalls += 1
            state.stats.layerCallMicros += micros
        }
    }

    /// Runs one tracker event under the state lock and applies its actions: sends are queued under
    /// the lock, calls are resumed and registry actions performed after it. An event returning nil
    /// did nothing (the router stopped); then this returns true.
    @discardableResult
    func dispatchEvent(now: ContinuousClock.Instant, _ event: (inout State) -> [DispatchAction]?) -> Bool {
        let result = state.withLock { state -> (completions: [State.Completion], registry: [WorkerRegistry.Action])? in
            guard let actions = event(&state) else { return nil }
            return state.apply(actions, now: now) { message in reactor?.send(message, on: socketHandle) }
        }
        guard let result else { return true }
        resume(result.completions)
        perform(result.registry)
        return false
    }

    /// Reactor thread: adds a reply's rows into its layer call's output, or re-sends its rows
    /// elsewhere when the worker answered with an error.
    func handleReply(_ reply: Switchyard_V1_DispatchReply, rows: TensorBytes?, from worker: String) {
        let entry = state.withLock { state -> (dispatch: WorkerDispatch, call: UInt64, layer: Int, microBatch: Int, output: Matrix)? in
            guard let dispatch = state.tracker.inFlight(reply.dispatchID, from: worker),
                  let call = state.tracker.calls[dispatch.call], let waiting = state.waiting[dispatch.call] else { return nil }
            return (dispatch.payload, dispatch.call, call.layer, call.microBatch, waiting.output)
        }
        guard let entry, reply.answers(entry.dispatch.header(dispatchID: reply.dispatchID, step: entry.call,
                                                             microBatch: UInt32(entry.microBatch), layer: UInt32(entry.layer))) else {
            drop(.unknownDispatch, from: worker, detail: "reply to dispatch \(reply.dispatchID) that is not in flight")
            return
        }
        var failure: ClusterError?
        if reply.status == .ok, let rows {
            do {
                try entry.dispatch.combine(reply: rows, dtype: reply.dtype, into: entry.output.buffer)
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
        let now = ContinuousClock.now
        dispatchEvent(now: now) { state in
            state.stats.bytesReceived += UInt64(rows?.count ?? 0)
            state.stats.computeMicros += reply.computeMicros
            if let slowest = state.waiting[entry.call]?.slowestComputeMicros, reply.computeMicros > slowest {
                state.waiting[entry.call]?.slowestComputeMicros = reply.computeMicros
            }
            guard let failure else { return state.tracker.answered(reply.dispatchID, from: worker) }
            return state.tracker.failed(reply.dispatchID, from: worker, because: failure, routing: state.registry.routing, now: now)
        }
    }

    /// Re-sends every dispatch in flight to a worker that is gone (dead, left, released or
    /// evicted), or fails its call when no other holder has its experts.
    func rescueDispatches(to worker: String, because failure: ClusterError) {
        let now = ContinuousClock.now
        var resent = 0
        dispatchEvent(now: now) { state in
            resent = state.tracker.inFlight(to: worker).count
            return state.tracker.workerGone(worker, because: failure, routing: state.registry.routing, now: now)
        }
        if resent > 0 {
            logger.warning("re-sending dispatches in flight to a lost worker", metadata: ["worker": "\(worker)", "dispatches": "\(resent)"])
        }
    }

    /// Reactor thread: a worker with an overdue dispatch is suspect; all in flight to it is re-sent.
    func expireDispatches(now: ContinuousClock.Instant) {
        var failedBefore: UInt64 = 0
        var failedAfter: UInt64 = 0
        dispatchEvent(now: now) { state in
            failedBefore = state.stats.failedCalls
            let actions = state.tracker.expire(now: now, routing: state.registry.routing)
            failedAfter = state.stats.failedCalls
            return actions
        }
        if failedAfter > failedBefore { logger.warning("dispatches timed out", metadata: ["failed_calls": "\(failedAfter - failedBefore)"]) }
    }

    func resume(_ completions: [State.Completion]) {
        for (continuation, failure) in completions {
            if let failure { continuation.resume(throwing: failure) } else { continuation.resume() }
        }
    }
}
