import Foundation
import Logging
import Synchronization
import SwitchyardModel
import SwitchyardWire
import SwitchyardZMQ

/// The worker daemon: connects a DEALER to the router, registers, loads the experts it is
/// assigned, computes dispatches and replies, heartbeats, and reconnects when the router goes away.
///
/// Three threads, none of them Swift's cooperative pool:
/// * the reactor thread owns the socket and runs the connection logic (`WorkerLink`), message
///   decoding and heartbeats; it never loads, and computes only dispatches small enough
///   (`InlineDispatchLimit`) that heartbeats keep flowing, and only while the compute thread is idle;
/// * the compute thread runs the other dispatches one at a time in arrival order, and applies
///   loaded experts (it, or the reactor in its place, alone touches the `ExpertStore`);
/// * the loader thread reads assigned experts from the checkpoint, one assignment at a time.
///
/// `run()` returns after `stop()` (having sent `Disconnect`), after a graceful `drain()`, or throws
/// when the router refuses the worker for good. Every malformed or unexpected message is dropped,
/// logged and counted.
public final class Worker: @unchecked Sendable {
    // Safety of @unchecked Sendable: `link`, `socket`, `heartbeatSequence`, `inlineLimit` and `lane` are touched only on
    // the reactor thread (inside its handler and timers); `store` and `computer` only on the compute
    // thread or in its place (`SerialThread.runHereIfIdle`); everything shared between threads sits in `shared` (a Mutex) or is immutable.
    public let configuration: WorkerConfiguration
    public let config: ModelConfig
    public let fingerprint: Switchyard_V1_ModelFingerprint
    public let limits: ModelLimits
    let decoder: WireDecoder
    let logger: Logger
    let context: Context
    let loader: ExpertLoader
    let computeThread = SerialThread(name: "sy-compute")
    let loaderThread = SerialThread(name: "sy-loader")
    let store: ExpertStore
    let computer: DispatchComputer
    let exit = WorkerExitSignal()
    let shared = Mutex(Shared())
    private let reactorBox = Mutex<Reactor?>(nil)

    var link: WorkerLink
    var heartbeatSequence: UInt64 = 0
    /// Reactor thread: the dispatches small enough for the reactor to compute itself.
    var inlineLimit: InlineDispatchLimit
    /// Reactor thread: where a graceful drain stands.
    var drainState = WorkerDrainState.serving
    /// Reactor thread: the shared-memory lane offered with the current connection (`Worker+Lane`).
    var lane: WorkerLane?

    /// State read and written by more than one thread.
    struct Shared: Sendable {
        var socket: SocketHandle?
        var statistics = WorkerStatistics()
        var started = false
        /// Set by `stop()`: from then on only the `Disconnect` goes out (no late acks or heartbeats).
        var stopping = false
    }

    /// Reads the model config, fingerprints the checkpoint and checks the configuration; connects
    /// nothing until `run()`. Throws `WorkerError.setup` with a message naming the problem.
    public init(configuration: WorkerConfiguration, logger: Logger = Logger(label: "switchyard.worker")) throws {
        var logger = logger
        logger[metadataKey: "worker.id"] = .string(configuration.workerID)
        self.logger = logger
        self.configuration = configuration
        let id = configuration.workerID.utf8
        guard !id.isEmpty, id.count <= 255, id.first != 0 else {
            throw WorkerError.setup("worker id must be 1...255 bytes and not start with a zero byte, got \"\(configuration.workerID)\"")
        }
        let directory = configuration.modelDirectory
        do {
            config = try ModelConfig.load(directory: directory)
            try configuration.expertSlicing.validate(config)
            var fingerprint = try ModelIdentity.fingerprint(config: config, directory: directory)
            // Whole experts stay 0 (as a worker without the field sends them).
            if configuration.expertSlicing.count > 1 { fingerprint.expertSlices = UInt32(configuration.expertSlicing.count) }
            self.fingerprint = fingerprint
            limits = try ModelIdentity.limits(config: config, maxBatchTokens: configuration.maxBatchTokens,
                                              expertSlicing: configuration.expertSlicing)
        } catch {
            throw WorkerError.setup("cannot load model \(directory.path): \(error)")
        }
        let experts = Int(fingerprint.expertsPerLayer)
        if let bad = configuration.pinnedExperts.sorted().first(where: { $0 < 0 || $0 >= experts }) {
            throw WorkerError.setup("pinned expert \(bad) does not exist: the model has expert ids 0..<\(experts) per layer")
        }
        decoder = WireDecoder(limits: limits)
        loader = ExpertLoader(directory: directory, config: config, dtypes: configuration.dtypes,
                              slicing: configuration.expertSlicing)
        store = ExpertStore(config: config, slicing: configuration.expertSlicing)
        computer = DispatchComputer(hiddenSize: config.hiddenSize, threads: configuration.threads)
        inlineLimit = InlineDispatchLimit(
            flops: configuration.inlineComputeFLOPs, hiddenSize: config.hiddenSize,
            widestIntermediate: max(config.moeIntermediateSize, config.intermediateSize, config.sharedExpertIntermediateSize)
                / configuration.expertSlicing.count)
        link = WorkerLink(heartbeatInterval: configuration.heartbeatInterval, liveness: configuration.liveness,
                          minDelay: configuration.minReconnectDelay, maxDelay: configuration.maxReconnectDelay,
                          now: .now)
        do {
            context = try Context(ioThreads: 1)
        } catch {
            throw WorkerError.setup("cannot create ZeroMQ context: \(error)")
        }
    }

    deinit {
        // For workers driven with `start()`/`stop()` rather than `run()`: end the threads.
        loaderThread.requestStop()
        computeThread.requestStop()
        reactorBox.withLock { $0 }?.shutdown()
    }

    /// Connects, registers and serves until `stop()` (returns) or a final refusal (throws).
    public func run() async throws {
        try start()
        do {
            try await exit.wait()
        } catch {
            tearDown()
            throw error
        }
        tearDown()
    }

    /// Starts the reactor and connection timer without waiting; `run()` calls it. A worker driven
    /// this way is stopped with `stop()` and its threads end when it is released.
    public func start() throws {
        let first = shared.withLock { shared -> Bool in
            defer { shared.started = true }
            return !shared.started
        }
        guard first else { return }
        let reactor: Reactor
        do {
            reactor = try Reactor(configuration: ReactorConfiguration(name: "sy-worker-io")) { [weak self] event, _ in
                self?.handle(event)
            }
        } catch {
            throw WorkerError.setup("cannot start the I/O thread: \(error)")
        }
        reactorBox.withLock { $0 = reactor }
        let tick = max(min(configuration.heartbeatInterval / 5, .milliseconds(50)), .milliseconds(2))
        reactor.schedule(after: .zero, every: tick) { [weak self] _ in self?.tick() }
        logger.info("worker starting", metadata: [
            "router": .string(configuration.routerEndpoint), "model": .string(configuration.modelDirectory.path),
            "model.type": .string(config.family.rawValue), "model.digest": .string(String(fingerprint.digest.prefix(16))),
            "max_message_bytes": .stringConvertible(decoder.maxMessageBytes),
        ])
    }

    /// Sends `Disconnect` (reason shutdown) and makes `run()` return. Safe from any thread, any number of times.
    public func stop() {
        guard let reactor = reactorBox.withLock({ $0 }) else {
            exit.finish(.success(()))
            return
        }
        reactor.schedule(after: .zero) { [weak self] _ in
            self?.leave(detail: "shutting down")
        }
    }

    /// Reactor thread: sends `Disconnect` once and makes `run()` return.
    func leave(detail: String) {
        let first = shared.withLock { shared -> Bool in
            defer { shared.stopping = true }
            return !shared.stopping
        }
        guard first else { return }
        link.stop()
        var disconnect = Switchyard_V1_Disconnect()
        disconnect.reason = .shutdown
        disconnect.detail = "worker \(configuration.workerID) \(detail)"
        send(.disconnect(disconnect))
        logger.info("worker stopping: \(detail)")
        exit.finish(.success(()))
    }

    /// A snapshot of the counters.
    public var statistics: WorkerStatistics { shared.withLock { $0.statistics } }

    /// The reactor (nil before `start()`).
    var reactor: Reactor? { reactorBox.withLock { $0 } }

    /// Sends on the current socket; false when there is none. Any thread.
    @discardableResult
    func send(_ message: WireMessage) -> Bool {
        let (socket, stopping) = shared.withLock { ($0.socket, $0.stopping) }
        guard let reactor, let socket, !stopping || message.kind == .disconnect else { return false }
        do {
            return reactor.send(try WireFrames.message(message), on: socket)
        } catch {
            logger.error("cannot encode \(message.kind) message: \(error)")
            return false
        }
    }

    private func tearDown() {
        loaderThread.stop(timeout: .seconds(2))
        computeThread.stop(timeout: .seconds(2))
        reactor?.shutdown()
        // The reactor has stopped: this thread may touch its state now. A lane the router never
        // mapped still has its files.
        lane?.lane.unlink()
        lane = nil
        logger.info("worker stopped", metadata: ["drops": .string(statistics.drops.description)])
    }
}
