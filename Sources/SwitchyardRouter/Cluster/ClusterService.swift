import Foundation
import Logging
import ServiceLifecycle
import SwitchyardModel
import SwitchyardTensor
import SwitchyardTransport
import SwitchyardWire
import SwitchyardZMQ
import Synchronization

/// The router's worker-facing side: one ROUTER socket owned by a reactor thread, the worker
/// registry, and the dispatch/combine of FFN rows for `RemoteExpertBackend`.
///
/// Every socket event is handled on the reactor thread (`handle`), which is also where replies
/// are combined into the waiting layer's output, so combining needs no lock. Engine threads call
/// `computeFFN`, which packs rows per worker, queues the messages and awaits the replies.
public final class ClusterService: Service, Sendable {
    struct PendingDispatch {
        var worker: String
        var packed: WorkerDispatch
        var header: Switchyard_V1_DispatchHeader
    }

    struct PendingCall {
        var continuation: CheckedContinuation<Void, any Error>
        var output: Matrix
        var remaining: Int
        var deadline: ContinuousClock.Instant
        var dispatchIDs: [UInt64]
    }

    struct State {
        var registry: WorkerRegistry
        var calls: [UInt64: PendingCall] = [:]
        var dispatches: [UInt64: (call: UInt64, dispatch: PendingDispatch)] = [:]
        var inFlightRows: [String: Int] = [:]
        var nextID: UInt64 = 1
        var heartbeatSequence: UInt64 = 0
        var drops = DropCounter()
        var refusedRegistrations: UInt64 = 0
        var stopped = false
        var wasComplete = false
        var stats = ClusterStatistics()
    }

    public let modelConfig: ModelConfig
    public let configuration: ClusterConfiguration
    /// The endpoint actually bound (the port is resolved when `listen` asked for `*`).
    public let endpoint: String
    let fingerprint: Switchyard_V1_ModelFingerprint
    let decoder: WireDecoder
    let maxMessageBytes: Int
    let state: Mutex<State>
    let logger: Logger
    private let reactorBox = Mutex<Reactor?>(nil)
    private let socketHandle: SocketHandle
    private let zap: ZAPHandler?
    private let refusedKeys = RefusalCount()
    private let context: Context

    /// Binds the worker socket and starts its reactor thread.
    public init(modelConfig: ModelConfig, fingerprint: Switchyard_V1_ModelFingerprint, configuration: ClusterConfiguration,
                logger: Logger = Logger(label: "switchyard.cluster")) throws {
        self.modelConfig = modelConfig
        self.configuration = configuration
        self.fingerprint = fingerprint
        self.logger = logger
        let limits = try ModelIdentity.limits(config: modelConfig, maxBatchTokens: configuration.maxBatchTokens)
        self.decoder = WireDecoder(limits: limits)
        self.maxMessageBytes = WireLimits.maxMessageBytes(for: limits)
        let keys = LocalExpertBackend.allKeys(modelConfig)
        self.state = Mutex(State(registry: WorkerRegistry(keys: keys, configuration: .init(
            heartbeatInterval: configuration.heartbeatInterval, liveness: configuration.liveness, replicas: configuration.replicas))))

        context = try Context()
        if let curve = configuration.curve {
            let refusals = refusedKeys
            zap = try ZAPHandler(context: context, policy: ZAPPolicy(allowedCurveKeys: Set(curve.allowedWorkers), domain: "switchyard")) { request, reply in
                guard !reply.isAccepted else { return }
                refusals.increment()
                logger.warning("refused a worker at the CURVE handshake", metadata: ["address": "\(request.address)", "reason": "\(reply.statusText)"])
            }
        } else {
            zap = nil
        }
        let socket = try Socket(context, type: .router)
        try SocketSetup.configureRouter(socket, maxMessageBytes: maxMessageBytes)
        if let curve = configuration.curve {
            try socket.makeCurveServer(keyPair: curve.serverKeys, zapDomain: "switchyard")
        }
        try socket.bind(configuration.listen)
        endpoint = (try? socket.lastEndpoint) ?? configuration.listen

        let core = CoreBox()
        let reactor = try Reactor(configuration: ReactorConfiguration(name: "switchyard-router-zmq")) { event, reactorContext in
            core.service?.handle(event, reactorContext)
        }
        socketHandle = try reactor.add(socket)
        reactorBox.withLock { $0 = reactor }
        core.service = self
        let tick = configuration.heartbeatInterval / 4
        reactor.schedule(after: tick, every: tick) { [weak self] reactorContext in
            self?.tick(reactorContext)
        }
        logger.info("listening for workers", metadata: ["endpoint": "\(endpoint)", "curve": "\(configuration.curve != nil)"])
    }

    /// Routes reactor events to the service without a retain cycle.
    final class CoreBox: @unchecked Sendable {
        weak var service: ClusterService?
    }

    var reactor: Reactor? { reactorBox.withLock { $0 } }

    // MARK: Service

    /// Runs until graceful shutdown, then tells workers the router is leaving and stops.
    public func run() async throws {
        try? await gracefulShutdown()
        stop()
    }

    /// Fails what is in flight, says goodbye to workers and stops the reactor.
    public func stop() {
        let (calls, workers) = state.withLock { state -> ([PendingCall], [WorkerRegistry.Worker]) in
            state.stopped = true
            let calls = Array(state.calls.values)
            state.calls = [:]
            state.dispatches = [:]
            return (calls, Array(state.registry.workers.values))
        }
        for call in calls { call.continuation.resume(throwing: ClusterError.stopped) }
        if let reactor {
            var goodbye = Switchyard_V1_Disconnect()
            goodbye.reason = .shutdown
            goodbye.detail = "router shutting down"
            for worker in workers {
                if let message = try? WireFrames.message(.disconnect(goodbye), routingID: worker.routingID) {
                    reactor.send(message, on: socketHandle)
                }
            }
            reactor.shutdown()
        }
        zap?.stop()
        reactorBox.withLock { $0 = nil }
        context.shutdown()
    }

    /// Replaces the allowed worker keys (SIGHUP reload); workers already connected stay.
    public func replaceAllowedWorkers(_ keys: [CurveKey]) {
        zap?.setAllowedKeys(Set(keys))
        logger.info("allowed worker keys reloaded", metadata: ["keys": "\(keys.count)"])
    }

    /// Workers whose CURVE key the ZAP handler refused.
    public var refusedWorkerKeys: UInt64 { refusedKeys.value }

    // MARK: Health and status

    /// Ready when every expert of every layer has a live holder; otherwise says which are missing.
    public func health() -> HealthReport {
        let (missing, workers) = state.withLock { ($0.registry.missing, $0.registry.workers.count) }
        if missing.isEmpty {
            return HealthReport(ready: true, status: "ok", detail: ["workers": "\(workers)"])
        }
        return HealthReport(ready: false, status: workers == 0 ? "waiting for workers" : "degraded",
                            detail: ["workers": "\(workers)", "missing_experts": Self.describe(missing)])
    }

    /// `L0:0-3,7 L1:0-7`-style text for a set of keys.
    static func describe(_ keys: [ExpertKey]) -> String {
        let byLayer = Dictionary(grouping: keys, by: \.layer)
        return byLayer.keys.sorted().map { layer in
            "L\(layer):\(ExpertSpec(ids: Set(byLayer[layer]!.map(\.expert))))"
        }.joined(separator: " ")
    }

    /// A snapshot for `/v1/cluster` and metrics.
    public func snapshot() -> ClusterSnapshot {
        state.withLock { state in
            ClusterSnapshot(
                placementVersion: state.registry.placementVersion,
                workers: state.registry.workers.values.sorted { $0.id < $1.id }.map { worker in
                    ClusterSnapshot.Worker(id: worker.id, experts: worker.held.count, target: worker.target.count,
                                           inFlightRows: state.inFlightRows[worker.id] ?? 0,
                                           queuedDispatches: worker.queuedDispatches, residentBytes: worker.residentBytes,
                                           pinned: worker.pinned.map { ExpertSpec(ids: $0).description })
                },
                missing: state.registry.missing.count, drops: state.drops, statistics: state.stats,
                refusedRegistrations: state.refusedRegistrations)
        }
    }

    // MARK: Dispatch and combine

    /// Sends every routed row of one layer to a worker holding its expert (the least loaded one
    /// when several do), one message per worker, and adds the replies into `output`.
    func computeFFN(layer: Int, microBatch: Int, input: Matrix, routes: ExpertRoutes, output: Matrix) async throws {
        output.resize(rows: input.rows)
        output.zero()
        guard routes.rows > 0 else { return }
        let expertsPerLayer = modelConfig.ffnExperts(layer: layer)

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
        if routes.expertIDs.contains(where: { $0 < 0 }) {
            throw ClusterError.workerFailed(worker: "router", message: "routes with unused slots cannot be dispatched")
        }

        var packer = RowPacker(hiddenSize: modelConfig.hiddenSize, expertsPerLayer: expertsPerLayer)
        let packed = try routes.expertIDs.withUnsafeBufferPointer { experts in
            try routes.weights.withUnsafeBufferPointer { weights in
                try packer.pack(tokens: UnsafeBufferPointer(start: input.base, count: input.rows * input.cols),
                                experts: experts, weights: weights, owners: owners, workerCount: workers.count)
            }
        }
        guard let reactor else { throw ClusterError.stopped }

        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            var messages: [Message] = []
            let failure: (any Error)? = state.withLock { state in
                if state.stopped { return ClusterError.stopped }
                let callID = state.nextID
                state.nextID += 1
                var ids: [UInt64] = []
                for dispatch in packed {
                    let dispatchID = state.nextID
                    state.nextID += 1
                    let worker = workers[dispatch.worker]
                    let header = dispatch.header(dispatchID: dispatchID, step: callID, microBatch: UInt32(microBatch), layer: UInt32(layer))
                    do {
                        messages.append(try WireFrames.message(.dispatch(header, rows: dispatch.rows), routingID: worker.routingID))
                    } catch {
                        return error
                    }
                    state.dispatches[dispatchID] = (callID, PendingDispatch(worker: worker.id, packed: dispatch, header: header))
                    state.inFlightRows[worker.id, default: 0] += dispatch.totalRows
                    state.stats.dispatches += 1
                    state.stats.rowsSent += UInt64(dispatch.totalRows)
                    state.stats.bytesSent += UInt64(dispatch.rows.count)
                    ids.append(dispatchID)
                }
                state.calls[callID] = PendingCall(continuation: continuation, output: output, remaining: ids.count,
                                                  deadline: .now + configuration.dispatchTimeout, dispatchIDs: ids)
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

    // MARK: Reactor thread

    func handle(_ event: ReactorEvent, _ reactorContext: ReactorContext) {
        switch event {
        case .message(_, let message):
            receive(message, reactorContext)
        case .sendFailed(_, let message, let failure):
            let routingID = message.frames.first?.bytes ?? []
            let worker = state.withLock { $0.registry.worker(routingID: routingID)?.id }
            logger.warning("send to worker failed", metadata: ["worker": "\(worker ?? "unknown")", "error": "\(failure)"])
            if let worker {
                let actions = state.withLock { $0.registry.disconnected(id: worker, reason: "unreachable: \(failure)") }
                perform(actions, reactorContext)
            }
        case .receiveFailed(_, let error):
            logger.error("receive failed on the worker socket", metadata: ["error": "\(error)"])
        }
    }

    private func receive(_ message: Message, _ reactorContext: ReactorContext) {
        guard message.frames.count >= 2 else {
            drop(.missingFrames, from: "?", detail: "no routing id and payload")
            return
        }
        let routingID = message.frames[0].bytes
        let peer = String(decoding: routingID, as: UTF8.self)
        let decoded: WireMessage
        do {
            decoded = try decoder.decode(WireFrames.wireFrames(message, skip: 1))
        } catch {
            drop(error.reason, from: peer, detail: error.description)
            if error.reason == .wrongVersion {
                var refusal = Switchyard_V1_Refusal()
                refusal.code = .versionMismatch
                refusal.text = error.description
                send(.refusal(refusal), to: routingID, reactorContext)
            }
            return
        }
        let now = ContinuousClock.now
        let known = state.withLock { $0.registry.worker(routingID: routingID)?.id }

        switch decoded {
        case .register(let register):
            handleRegister(register, routingID: routingID, now: now, reactorContext)
        case .assignmentAck(let ack):
            guard let id = known else { return refuseUnknown(routingID, peer, reactorContext) }
            let loaded = Set(ack.loaded.map { ExpertKey(layer: Int($0.layer), expert: Int($0.expert)) })
            if !ack.failed.isEmpty {
                logger.error("worker could not load experts", metadata: ["worker": "\(id)", "error": "\(ack.error)", "failed": "\(ack.failed.count)"])
            }
            let actions = state.withLock { $0.registry.acknowledged(id: id, version: ack.placementVersion, loaded: loaded, residentBytes: ack.residentBytes, now: now) }
            perform(actions, reactorContext)
        case .heartbeat(let heartbeat):
            guard let id = known else { return refuseUnknown(routingID, peer, reactorContext) }
            state.withLock { $0.registry.heard(id: id, queuedDispatches: Int(heartbeat.queuedDispatches), now: now) }
        case .disconnect(let goodbye):
            guard let id = known else { return }
            logger.info("worker left", metadata: ["worker": "\(id)", "reason": "\(goodbye.detail)"])
            let actions = state.withLock { $0.registry.disconnected(id: id, reason: "disconnected: \(goodbye.detail)") }
            perform(actions, reactorContext)
        case .reply(let reply, let rows):
            guard let id = known else { return refuseUnknown(routingID, peer, reactorContext) }
            state.withLock { $0.registry.heard(id: id, now: now) }
            handleReply(reply, rows: rows, from: id)
        case .refusal(let refusal):
            logger.warning("worker refused a message", metadata: ["worker": "\(peer)", "code": "\(refusal.code)", "text": "\(refusal.text)"])
        case .welcome, .assignment, .dispatch:
            drop(.unexpectedKind, from: peer, detail: "\(decoded.kind) is sent by the router, never to it")
        }
    }

    private func handleRegister(_ register: Switchyard_V1_Register, routingID: [UInt8], now: ContinuousClock.Instant, _ reactorContext: ReactorContext) {
        let peer = String(decoding: routingID, as: UTF8.self)
        if let mismatch = register.model.mismatch(against: fingerprint) {
            state.withLock { $0.refusedRegistrations += 1 }
            logger.error("refused worker with another model", metadata: ["worker": "\(peer)", "reason": "\(mismatch)"])
            var refusal = Switchyard_V1_Refusal()
            refusal.code = .modelMismatch
            refusal.text = mismatch
            send(.refusal(refusal), to: routingID, reactorContext)
            return
        }
        let held = Set(register.held.map { ExpertKey(layer: Int($0.layer), expert: Int($0.expert)) })
        let pinned = register.pinnedExperts.isEmpty ? nil : Set(register.pinnedExperts.map(Int.init))
        let actions = state.withLock { state in
            state.registry.register(id: peer, routingID: routingID, pinned: pinned, held: held, now: now)
        }
        logger.info("worker registered", metadata: ["worker": "\(peer)", "pinned": "\(register.pinnedSpec)", "held": "\(held.count)"])
        perform(actions, reactorContext)
    }

    private func handleReply(_ reply: Switchyard_V1_DispatchReply, rows: TensorBytes?, from worker: String) {
        let entry = state.withLock { state -> (call: UInt64, dispatch: PendingDispatch, output: Matrix)? in
            guard let entry = state.dispatches[reply.dispatchID], entry.dispatch.worker == worker,
                  let call = state.calls[entry.call] else { return nil }
            return (entry.call, entry.dispatch, call.output)
        }
        guard let entry, reply.answers(entry.dispatch.header) else {
            drop(.unknownDispatch, from: worker, detail: "reply to dispatch \(reply.dispatchID) that is not in flight")
            return
        }
        var failure: (any Error)?
        if reply.status == .ok, let rows {
            do {
                try entry.dispatch.packed.combine(reply: rows, dtype: reply.dtype, into: entry.output.buffer)
            } catch {
                drop(error.reason, from: worker, detail: error.description)
                failure = ClusterError.workerFailed(worker: worker, message: "malformed reply: \(error)")
            }
        } else {
            failure = ClusterError.workerFailed(worker: worker, message: reply.error.isEmpty ? "error reply" : reply.error)
        }
        let finished = state.withLock { state -> (CheckedContinuation<Void, any Error>, (any Error)?)? in
            state.dispatches[reply.dispatchID] = nil
            state.inFlightRows[worker, default: 0] -= entry.dispatch.packed.totalRows
            state.stats.bytesReceived += UInt64(rows?.count ?? 0)
            state.stats.computeMicros += reply.computeMicros
            guard var call = state.calls[entry.call] else { return nil }
            if let failure {
                for id in call.dispatchIDs { state.dispatches[id] = nil }
                state.calls[entry.call] = nil
                return (call.continuation, failure)
            }
            call.remaining -= 1
            if call.remaining == 0 {
                state.calls[entry.call] = nil
                return (call.continuation, nil)
            }
            state.calls[entry.call] = call
            return nil
        }
        if let (continuation, failure) = finished {
            if let failure { continuation.resume(throwing: failure) } else { continuation.resume() }
        }
    }

    private func refuseUnknown(_ routingID: [UInt8], _ peer: String, _ reactorContext: ReactorContext) {
        drop(.unknownPeer, from: peer, detail: "message from a worker that has not registered")
        var refusal = Switchyard_V1_Refusal()
        refusal.code = .unknownPeer
        refusal.text = "unknown worker: register first"
        send(.refusal(refusal), to: routingID, reactorContext)
    }

    private func drop(_ reason: DropReason, from peer: String, detail: String) {
        state.withLock { $0.drops.record(reason) }
        logger.warning("dropped message", metadata: ["peer": "\(peer)", "reason": "\(reason)", "detail": "\(detail)"])
    }

    /// Sends through the reactor's queue (not `ReactorContext.send`), so control messages keep
    /// their order relative to dispatches queued by engine threads.
    private func send(_ message: WireMessage, to routingID: [UInt8], _ reactorContext: ReactorContext) {
        do {
            reactor?.send(try WireFrames.message(message, routingID: routingID), on: socketHandle)
        } catch {
            logger.error("could not encode a message", metadata: ["error": "\(error)"])
        }
    }

    /// Heartbeats, liveness, dispatch deadlines.
    private func tick(_ reactorContext: ReactorContext) {
        let now = ContinuousClock.now
        let (actions, expired) = state.withLock { state -> ([WorkerRegistry.Action], [(CheckedContinuation<Void, any Error>, String)]) in
            let actions = state.registry.tick(now: now)
            var expired: [(CheckedContinuation<Void, any Error>, String)] = []
            for (id, call) in state.calls where call.deadline <= now {
                let worker = call.dispatchIDs.compactMap { state.dispatches[$0]?.dispatch.worker }.first ?? "?"
                for dispatch in call.dispatchIDs {
                    if let entry = state.dispatches.removeValue(forKey: dispatch) {
                        state.inFlightRows[entry.dispatch.worker, default: 0] -= entry.dispatch.packed.totalRows
                    }
                }
                state.calls[id] = nil
                expired.append((call.continuation, worker))
            }
            return (actions, expired)
        }
        for (continuation, worker) in expired { continuation.resume(throwing: ClusterError.timeout(worker: worker)) }
        perform(actions, reactorContext)
    }

    private func perform(_ actions: [WorkerRegistry.Action], _ reactorContext: ReactorContext) {
        for action in actions {
            switch action {
            case .welcome(let id):
                var welcome = Switchyard_V1_Welcome()
                welcome.routerID = "router"
                welcome.heartbeatIntervalMs = UInt32(configuration.heartbeatInterval.milliseconds)
                welcome.liveness = UInt32(configuration.liveness)
                welcome.maxMessageBytes = UInt64(maxMessageBytes)
                if let routingID = routingID(of: id) { send(.welcome(welcome), to: routingID, reactorContext) }
            case .refuse(let routingID, let reason):
                state.withLock { $0.refusedRegistrations += 1 }
                var refusal = Switchyard_V1_Refusal()
                switch reason {
                case .badPin(let text):
                    refusal.code = .badPin
                    refusal.text = text
                case .duplicateID(let text):
                    refusal.code = .duplicateWorkerID
                    refusal.text = text
                }
                logger.error("refused a worker", metadata: ["worker": "\(String(decoding: routingID, as: UTF8.self))", "reason": "\(refusal.text)"])
                send(.refusal(refusal), to: routingID, reactorContext)
            case .assign(let id, let version, let load, let drop):
                var assignment = Switchyard_V1_Assignment()
                assignment.placementVersion = version
                assignment.load = load.map(Self.ref)
                assignment.drop = drop.map(Self.ref)
                logger.info("assigning experts", metadata: ["worker": "\(id)", "version": "\(version)", "load": "\(load.count)", "drop": "\(drop.count)"])
                if let routingID = routingID(of: id) { send(.assignment(assignment), to: routingID, reactorContext) }
            case .heartbeat(let id):
                let sequence = state.withLock { state -> UInt64 in
                    state.heartbeatSequence += 1
                    return state.heartbeatSequence
                }
                var heartbeat = Switchyard_V1_Heartbeat()
                heartbeat.sequence = sequence
                heartbeat.sentUnixNanos = UInt64(Date().timeIntervalSince1970 * 1e9)
                heartbeat.placementVersion = state.withLock { $0.registry.placementVersion }
                if let routingID = routingID(of: id) { send(.heartbeat(heartbeat), to: routingID, reactorContext) }
            case .workerLost(let id, let reason):
                logger.warning("worker lost", metadata: ["worker": "\(id)", "reason": "\(reason)"])
                failCalls(to: id, reason: reason)
            case .routingChanged:
                let (complete, changed, missing) = state.withLock { state -> (Bool, Bool, [ExpertKey]) in
                    let complete = state.registry.isComplete
                    defer { state.wasComplete = complete }
                    return (complete, complete != state.wasComplete, state.registry.missing)
                }
                if changed {
                    if complete { logger.info("every expert has a holder: serving") } else {
                        logger.warning("experts without a live holder", metadata: ["missing": "\(Self.describe(missing))"])
                    }
                }
            }
        }
    }

    private func routingID(of worker: String) -> [UInt8]? {
        state.withLock { $0.registry.workers[worker]?.routingID }
    }

    /// Fails every layer call that waits on a reply from `worker`.
    private func failCalls(to worker: String, reason: String) {
        let continuations = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            var affected = Set<UInt64>()
            for (id, entry) in state.dispatches where entry.dispatch.worker == worker {
                affected.insert(entry.call)
                state.dispatches[id] = nil
            }
            state.inFlightRows[worker] = 0
            var continuations: [CheckedContinuation<Void, any Error>] = []
            for callID in affected {
                guard let call = state.calls.removeValue(forKey: callID) else { continue }
                for id in call.dispatchIDs {
                    if let entry = state.dispatches.removeValue(forKey: id) {
                        state.inFlightRows[entry.dispatch.worker, default: 0] -= entry.dispatch.packed.totalRows
                    }
                }
                continuations.append(call.continuation)
            }
            return continuations
        }
        for continuation in continuations { continuation.resume(throwing: ClusterError.workerLost(worker: worker, reason: reason)) }
    }

    static func ref(_ key: ExpertKey) -> Switchyard_V1_ExpertRef {
        var ref = Switchyard_V1_ExpertRef()
        ref.layer = UInt32(key.layer)
        ref.expert = UInt32(key.expert)
        return ref
    }
}

/// A count shared with the ZAP handler's thread.
final class RefusalCount: Sendable {
    private let count = Mutex<UInt64>(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: UInt64 { count.withLock { $0 } }
}

/// Traffic counters of the worker link.
public struct ClusterStatistics: Sendable, Equatable {
    public var dispatches: UInt64 = 0
    public var rowsSent: UInt64 = 0
    public var bytesSent: UInt64 = 0
    public var bytesReceived: UInt64 = 0
    public var computeMicros: UInt64 = 0
}

/// What `/v1/cluster` shows.
public struct ClusterSnapshot: Sendable {
    public struct Worker: Sendable {
        public var id: String
        public var experts: Int
        public var target: Int
        public var inFlightRows: Int
        public var queuedDispatches: Int
        public var residentBytes: UInt64
        public var pinned: String?
    }
    public var placementVersion: UInt64
    public var workers: [Worker]
    public var missing: Int
    public var drops: DropCounter
    public var statistics: ClusterStatistics
    public var refusedRegistrations: UInt64
}

/// The expert backend of the router: every FFN runs on the workers.
public final class RemoteExpertBackend: ExpertBackend, Sendable {
    public let cluster: ClusterService
    public init(cluster: ClusterService) { self.cluster = cluster }

    public func computeFFN(layer: Int, microBatch: Int, input: Matrix, routes: ExpertRoutes, output: Matrix) async throws {
        try await cluster.computeFFN(layer: layer, microBatch: microBatch, input: input, routes: routes, output: output)
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
