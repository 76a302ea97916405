import SwitchyardTools
import Foundation
import Synchronization
import Testing
import SwitchyardModel
import SwitchyardCluster
import SwitchyardWire
import SwitchyardCluster
import SwitchyardZMQ

/// A router stand-in for worker tests: a ROUTER socket on loopback, driven by the test (single
/// owner), with every wait bounded. Waits poll without blocking and sleep between polls, so they
/// never hold a thread of the (two-thread, on this machine kind) cooperative pool that other suites
/// running in parallel need.
final class FakeRouter {
    let context: Context
    let socket: Socket
    let endpoint: String
    let decoder: WireDecoder

    init(limits: ModelLimits) throws {
        context = try Context()
        socket = try Socket(context, type: .router)
        try SocketSetup.configureRouter(socket, maxMessageBytes: WireLimits.maxMessageBytes(for: limits))
        try socket.set(.receiveTimeout, 0)
        try socket.bind("tcp://127.0.0.1:*")
        endpoint = try socket.lastEndpoint
        decoder = WireDecoder(limits: limits)
    }

    deinit { socket.close() }

    /// The next message of `kind` (heartbeats and others skipped unless asked for), or nil after `timeout`.
    func expect(_ kind: MessageKind, timeout: Duration = .seconds(5)) async -> (routingID: [UInt8], message: WireMessage)? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let message = try? socket.receive() else { try? await Task.sleep(for: .milliseconds(2)); continue }
            let routingID = message.frames[0].bytes
            guard let decoded = try? decoder.decode(WireFrames.wireFrames(message, skip: 1)) else { continue }
            if decoded.kind == kind { return (routingID, decoded) }
        }
        return nil
    }

    /// Whether nothing but heartbeats arrives for `duration`.
    func quiet(for duration: Duration) async -> Bool {
        let deadline = ContinuousClock.now + duration
        while ContinuousClock.now < deadline {
            guard let message = try? socket.receive() else { try? await Task.sleep(for: .milliseconds(2)); continue }
            if let decoded = try? decoder.decode(WireFrames.wireFrames(message, skip: 1)), decoded.kind == .heartbeat { continue }
            return false
        }
        return true
    }

    func send(_ message: WireMessage, to routingID: [UInt8]) throws {
        try socket.send(try WireFrames.message(message, routingID: routingID))
    }

    /// Sends raw frames (malformed messages).
    func sendRaw(_ frames: [[UInt8]], to routingID: [UInt8]) throws {
        try socket.send(Message([Frame(routingID)] + frames.map { Frame($0) }))
    }

    /// The heartbeat interval of the workers these tests start against a fake router, and of its
    /// welcomes, unless a test times heartbeats itself. The fake router never heartbeats and answers
    /// only when its test polls, and in a full test run on 2 cores a test's task can wait seconds
    /// for a thread: a worker that hears nothing for three intervals reconnects with a new identity,
    /// and the test's next send to the old one fails (CI saw it with 500 ms intervals). Two seconds
    /// (six of silence) keep each test inside one connection.
    static let heartbeatMs = 2000

    /// Answers a registration with a welcome.
    func welcome(_ routingID: [UInt8], heartbeatMs: UInt32 = UInt32(FakeRouter.heartbeatMs), liveness: UInt32 = 3, localLane: Bool = false) throws {
        var welcome = Switchyard_V1_Welcome()
        welcome.localLane = localLane
        welcome.routerID = "fake-router"
        welcome.heartbeatIntervalMs = heartbeatMs
        welcome.liveness = liveness
        welcome.maxMessageBytes = UInt64(decoder.maxMessageBytes)
        try send(.welcome(welcome), to: routingID)
    }
}

/// A tiny random checkpoint on disk, written once per process.
enum TestModel {
    static let maxBatchTokens = 16

    struct Model: Sendable {
        let directory: URL
        let config: ModelConfig
        let totalBytes: Int
        let limits: ModelLimits
    }

    /// qwen2_moe tiny: 2 layers, 4 routed experts + a shared expert (id 4), hidden 64.
    static let shared: Model = {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("switchyard-worker-tests-\(ProcessInfo.processInfo.processIdentifier)")
        let config = ModelInitializer.config(family: .qwen2_moe, preset: .tiny)
        let summary = try! ModelInitializer.write(config: config, dtype: .f32, seed: 7, to: directory)
        let limits = try! ModelIdentity.limits(config: config, maxBatchTokens: maxBatchTokens)
        return Model(directory: directory, config: config, totalBytes: summary.bytes, limits: limits)
    }()

    /// Routes for `rows` tokens over the tiny model: two routed experts (`row % 4` and
    /// `(row + 1 + row / 4) % 4`, distinct for up to 12 rows) and the shared one (id 4).
    static func routes(rows: Int) -> ExpertRoutes {
        var ids: [Int32] = []
        var weights: [Float] = []
        for row in 0..<rows {
            ids += [Int32(row % 4), Int32((row + 1 + row / 4) % 4), 4]
            weights += [0.7, 0.3, 0.5]
        }
        return ExpertRoutes(rows: rows, slotsPerRow: 3, expertIDs: ids, weights: weights)
    }
}

/// A worker under test, running on a detached task, stopped at the end of the test.
final class RunningWorker: Sendable {
    let worker: Worker
    private let outcome = OutcomeBox()

    convenience init(router: FakeRouter, id: String, pinned: Set<Int> = [], heartbeatMs: Int = FakeRouter.heartbeatMs, drainTimeout: Duration = .seconds(60),
                     inlineComputeFLOPs: Int? = nil) throws {
        try self.init(endpoint: router.endpoint, id: id, pinned: pinned, heartbeatMs: heartbeatMs, drainTimeout: drainTimeout,
                      inlineComputeFLOPs: inlineComputeFLOPs)
    }

    init(endpoint: String, id: String, pinned: Set<Int> = [], heartbeatMs: Int = 100, drainTimeout: Duration = .seconds(60),
         inlineComputeFLOPs: Int? = nil, expertSlicing: ExpertSlicing = .whole,
         parkComputeThreads: (@Sendable () -> Void)? = nil, configure: (inout WorkerConfiguration) -> Void = { _ in }) throws {
        let model = TestModel.shared
        var configuration = WorkerConfiguration(
            routerEndpoint: endpoint, modelDirectory: model.directory, workerID: id,
            pinnedExperts: pinned, pinnedSpec: pinned.isEmpty ? "" : pinned.sorted().map(String.init).joined(separator: ","),
            threads: 1, heartbeatInterval: .milliseconds(heartbeatMs), liveness: 3,
            minReconnectDelay: .milliseconds(20), maxReconnectDelay: .milliseconds(200),
            maxBatchTokens: TestModel.maxBatchTokens, softwareVersion: "test", drainTimeout: drainTimeout
        )
        if let inlineComputeFLOPs { configuration.inlineComputeFLOPs = inlineComputeFLOPs }
        configuration.expertSlicing = expertSlicing
        if let parkComputeThreads { configuration.parkComputeThreads = parkComputeThreads }
        configure(&configuration)
        let worker = try Worker(configuration: configuration)
        self.worker = worker
        // Started here, on the test's thread, so the worker connects even while the cooperative
        // pool is busy; `run()` below only waits for it to finish.
        try worker.start()
        Task.detached { [outcome] in
            do {
                try await worker.run()
                outcome.withLock { $0 = .success(()) }
            } catch let error as WorkerError {
                outcome.withLock { $0 = .failure(error) }
            } catch {
                outcome.withLock { $0 = .failure(.setup("\(error)")) }
            }
        }
    }

    /// Stops the worker and waits (bounded) for `run()` to return.
    @discardableResult
    func stop(timeout: Duration = .seconds(5)) async -> Result<Void, WorkerError>? {
        worker.stop()
        return await finished(timeout: timeout)
    }

    /// The outcome of `run()`, or nil if it did not return within `timeout`.
    func finished(timeout: Duration = .seconds(5)) async -> Result<Void, WorkerError>? {
        _ = await eventually(timeout: timeout) { outcome.withLock { $0 != nil } }
        return outcome.withLock { $0 }
    }
}

/// Where the detached task leaves `run()`'s outcome.
final class OutcomeBox: Sendable {
    private let mutex = Mutex<Result<Void, WorkerError>?>(nil)
    func withLock<R>(_ body: (inout Result<Void, WorkerError>?) -> R) -> R { mutex.withLock { body(&$0) } }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

func ref(_ layer: Int, _ expert: Int) -> Switchyard_V1_ExpertRef {
    var ref = Switchyard_V1_ExpertRef()
    ref.layer = UInt32(layer)
    ref.expert = UInt32(expert)
    return ref
}
