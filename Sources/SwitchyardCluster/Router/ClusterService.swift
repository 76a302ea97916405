import SwitchyardServing
import Foundation
import Logging
import ServiceLifecycle
import SwitchyardModel
import SwitchyardTensor
import SwitchyardWire
import SwitchyardZMQ
import Synchronization

/// The router's worker-facing side: one ROUTER socket owned by a reactor thread, the worker
/// registry, and the dispatch/combine of FFN rows for `RemoteExpertBackend`.
///
/// Every socket event is handled on the reactor thread (`handle`), which is also where replies
/// are combined into the waiting layer's output, so combining needs no lock. Engine threads call
/// `computeFFN`, which packs rows per worker, queues the messages and awaits the replies.
///
/// A dispatch keeps its rows until its reply arrives: when its worker dies, refuses it or misses
/// the dispatch timeout, its rows are re-sent (same step, micro-batch and layer) to other live
/// holders of its experts, so with replicas a lost worker fails no request. Without another holder
/// the layer call fails (the API answers 503).
public final class ClusterService: ClusterControl {
    /// Sends of one dispatch lineage (first send plus re-sends) before its call fails.
    package static let maxDispatchAttempts = 3
    public let modelConfig: ModelConfig
    public let configuration: ClusterConfiguration
    /// The endpoint actually bound (the port is resolved when `listen` asked for `*`).
    public let endpoint: String
    package let fingerprint: Switchyard_V1_ModelFingerprint
    package let decoder: WireDecoder
    package let maxMessageBytes: Int
    package let state: Mutex<State>
    package let logger: Logger
    private let reactorBox = Mutex<Reactor?>(nil)
    /// Repeated log lines (drops, registrations, assignments) are rate-limited and counted.
    package let logLimiter = Mutex(LogRateLimiter())
    package let socketHandle: SocketHandle
    private let zap: ZAPHandler?
    private let refusedKeys = RefusalCount()
    private let context: Context

    /// Binds the worker socket and starts its reactor thread.
    public init(modelConfig: ModelConfig, fingerprint: Switchyard_V1_ModelFingerprint, configuration: ClusterConfiguration,
                logger: Logger = Logger(label: "switchyard.cluster")) throws {
        try configuration.expertSlicing.validate(modelConfig)
        self.modelConfig = modelConfig
        self.configuration = configuration
        var fingerprint = fingerprint
        if configuration.expertSlicing.count > 1 { fingerprint.expertSlices = UInt32(configuration.expertSlicing.count) }
        self.fingerprint = fingerprint
        self.logger = logger
        let limits = try ModelIdentity.limits(config: modelConfig, maxBatchTokens: configuration.maxBatchTokens,
                                              expertSlicing: configuration.expertSlicing)
        self.decoder = WireDecoder(limits: limits)
        self.maxMessageBytes = WireLimits.maxMessageBytes(for: limits)
        let keys = configuration.expertSlicing.allUnits(modelConfig)
        self.state = Mutex(State(
            registry: WorkerRegistry(keys: keys, configuration: .init(
                heartbeatInterval: configuration.heartbeatInterval, liveness: configuration.liveness, replicas: configuration.replicas,
                evictAfterMisses: configuration.evictAfterMisses, suspectGrace: configuration.dispatchTimeout,
                placementBatch: configuration.heartbeatInterval / 2, departedTTL: .seconds(600))),
            tracker: DispatchTracker(timeout: configuration.dispatchTimeout, maxAttempts: Self.maxDispatchAttempts)))

        // Two libzmq I/O threads: worker connections are spread over them, so when the kernel
        // preempts the thread writing one worker's rows (often for the worker it just woke, on a
        // machine the workers share), the other worker's rows still go out. `up --workers 2` on
        // 2 cores: +2.5% output tok/s (median of 4 alternated pairs).
        context = try Context(ioThreads: 2)
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
        reactor.schedule(after: tick, every: tick) { [weak self] _ in
            self?.tick()
        }
        logger.info("listening for workers", metadata: ["endpoint": "\(endpoint)", "curve": "\(configuration.curve != nil)"])
    }

    /// Routes reactor events to the service without a retain cycle.
    package final class CoreBox: @unchecked Sendable {
        weak var service: ClusterService?
    }

    package var reactor: Reactor? { reactorBox.withLock { $0 } }

    // MARK: Service

    /// Runs until graceful shutdown, then tells workers the router is leaving and stops.
    public func run() async throws {
        try? await gracefulShutdown()
        stop()
    }

    /// Fails what is in flight, says goodbye to workers and stops the reactor.
    public func stop() {
        let (completions, workers) = state.withLock { state -> ([State.Completion], [WorkerRegistry.Worker]) in
            state.stopped = true
            state.lanes = [:]
            let failed = state.tracker.stop()
            let completions = state.apply(failed, now: .now) { _ in }.completions
            return (completions, Array(state.registry.workers.values))
        }
        resume(completions)
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
    package static func describe(_ keys: [ExpertKey]) -> String {
        let byLayer = Dictionary(grouping: keys, by: \.layer)
        return byLayer.keys.sorted().map { layer in
            "L\(layer):\(ExpertSpec(ids: Set(byLayer[layer]!.map(\.expert))))"
        }.joined(separator: " ")
    }

    /// A snapshot for `/v1/cluster` and metrics.
    public func snapshot() -> ClusterSnapshot {
        let now = ContinuousClock.now
        return state.withLock { state in
            let live = state.registry.workers.values.sorted { $0.id < $1.id }.map { worker in
                ClusterSnapshot.Worker(id: worker.id, state: worker.suspicion != nil ? .suspect : worker.draining ? .draining : .live,
                                       experts: worker.held.count,
                                       held: Self.describe(worker.held.sorted()), target: worker.target.count,
                                       inFlightRows: state.inFlightRows[worker.id] ?? 0,
                                       queuedDispatches: worker.queuedDispatches, residentBytes: worker.residentBytes,
                                       pinned: worker.pinned.map { ExpertSpec(ids: $0).description },
                                       lastHeardSeconds: max(0, (now - worker.lastHeard).seconds), reason: worker.suspicion?.reason)
            }
            let gone = state.registry.departed.map { worker in
                ClusterSnapshot.Worker(id: worker.id, state: ClusterSnapshot.WorkerState(worker.cause), experts: 0, held: "", target: 0,
                                       inFlightRows: 0, queuedDispatches: 0, residentBytes: 0, pinned: nil,
                                       lastHeardSeconds: max(0, (now - worker.lastHeard).seconds), reason: worker.reason)
            }
            var statistics = state.stats
            statistics.suppressedLogLines = logLimiter.withLock { $0.suppressedTotal }
            return ClusterSnapshot(placementVersion: state.registry.placementVersion, workers: live + gone,
                                   missing: state.registry.missing.count, drops: state.drops, statistics: statistics,
                                   refusedRegistrations: state.refusedRegistrations)
        }
    }

    /// Logs a line unless lines of the same message came too often lately (then it is counted;
    /// the next one logged says how many were left out).
    package func limitedLog(_ level: Logger.Level, _ message: String, metadata: Logger.Metadata = [:]) {
        guard case .log(let suppressed) = logLimiter.withLock({ $0.admit(message, now: .now) }) else { return }
        var metadata = metadata
        if suppressed > 0 { metadata["suppressed_similar"] = "\(suppressed)" }
        logger.log(level: level, Logger.Message(stringLiteral: message), metadata: metadata)
    }

    // MARK: Drain

    public typealias DrainOutcome = ClusterDrainOutcome

    /// Starts a graceful drain of a worker (`POST /v1/cluster/workers/{id}/drain`): no new experts go
    /// to it, its experts are loaded on other workers, it drops them once they are, and it is told it
    /// may go once nothing routes to it. Any thread.
    public func drain(workerID: String) -> ClusterDrainOutcome {
        drain(workerID: workerID, reason: "admin request")
    }

    /// `drain(workerID:)` with the reason logged and shown in `/v1/cluster`.
    public func drain(workerID: String, reason: String) -> ClusterDrainOutcome {
        let actions = state.withLock { $0.registry.drain(id: workerID, reason: reason, now: .now) }
        guard let actions else { return .unknownWorker }
        if actions.isEmpty { return .alreadyDraining }
        logger.info("draining worker", metadata: ["worker": "\(workerID)", "reason": "\(reason)"])
        // On the reactor thread, where replies are combined: a re-send never races a combine.
        reactor?.schedule(after: .zero) { [weak self] _ in self?.perform(actions) }
        return .started
    }
}

/// A count shared with the ZAP handler's thread.
package final class RefusalCount: Sendable {
    private let count = Mutex<UInt64>(0)
    package func increment() { count.withLock { $0 += 1 } }
    package var value: UInt64 { count.withLock { $0 } }
}
