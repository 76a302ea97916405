import Foundation
import Testing
@testable import SwitchyardCluster
@testable import SwitchyardZMQ
import SwitchyardModel
import SwitchyardTensor
import SwitchyardWire

/// Dispatches through a worker's shared-memory lane against the real router: the same numbers as
/// the in-process backend, ZeroMQ when the lane is not offered, not accepted or too small, and the
/// lane's files gone once the router has mapped it.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct LocalLaneTests {
    private static func makeCluster(acceptsLanes: Bool = true) throws -> ClusterService {
        let model = TestModel.shared
        let fingerprint = try ModelIdentity.fingerprint(config: model.config, directory: model.directory)
        var configuration = ClusterConfiguration(listen: "tcp://127.0.0.1:*", heartbeatInterval: .milliseconds(100),
                                                 maxBatchTokens: TestModel.maxBatchTokens)
        configuration.acceptsLocalLanes = acceptsLanes
        return try ClusterService(modelConfig: model.config, fingerprint: fingerprint, configuration: configuration)
    }

    /// Runs `rows` rows (two routed experts and the shared one each) through every layer remotely
    /// and locally; returns the worst difference.
    private static func worstDifference(_ cluster: ClusterService, rows: Int, seed: UInt64) async throws -> Float {
        let model = TestModel.shared
        let config = model.config
        let full = try LocalExpertBackend(checkpoint: Checkpoint(directory: model.directory, config: config), config: config)
        var generator = SeededGenerator(seed: seed)
        var worst: Float = 0
        for layer in 0..<config.numLayers {
            let input = Matrix.random(rows: rows, cols: config.hiddenSize, scale: 1, generator: &generator)
            let routes = TestModel.routes(rows: rows)
            let remote = Matrix(rows: rows, cols: config.hiddenSize)
            try await cluster.computeFFN(layer: layer, microBatch: 0, input: input, routes: routes, output: remote)
            let local = Matrix(rows: rows, cols: config.hiddenSize)
            try full.computeFFNSync(layer: layer, input: input, routes: routes, output: local)
            worst = max(worst, zip(remote.toArray(), local.toArray()).map { abs($0 - $1) }.max() ?? .infinity)
        }
        return worst
    }

    /// The worker's lane files that still have a name.
    private static func laneFilesLeft(_ worker: RunningWorker) -> [String] {
        guard let path = worker.worker.statistics.lanePath else { return [] }
        return [path, path + ".to-creator", path + ".to-opener"].filter { FileManager.default.fileExists(atPath: $0) }
    }

    @Test(arguments: [true, false])
    func dispatchesTakeTheLaneWhenOfferedAndGiveTheSameRows(offers: Bool) async throws {
        BLAS.setThreads(1)
        let cluster = try Self.makeCluster()
        defer { cluster.stop() }
        let worker = try RunningWorker(endpoint: cluster.endpoint, id: "all", configure: { $0.offersLocalLane = offers })
        #expect(await eventually(timeout: .seconds(10)) { cluster.health().ready })
        #expect(await eventually { worker.worker.statistics.laneAccepted == offers })
        #expect((worker.worker.statistics.lanePath != nil) == offers)
        #expect(try await Self.worstDifference(cluster, rows: 6, seed: 11) < 1e-5)
        let layers = TestModel.shared.config.numLayers
        let statistics = cluster.snapshot().statistics
        #expect(statistics.laneDispatches == (offers ? UInt64(layers) : 0))
        #expect(statistics.laneFallbacks == 0)
        #expect(statistics.dispatches == UInt64(layers))
        #expect(worker.worker.statistics.dispatchesViaLane == (offers ? layers : 0))
        #expect(worker.worker.statistics.dispatchesServed == layers)
        #expect(cluster.laneCount == (offers ? 1 : 0))
        // Mapped on both sides, so the names are gone (nothing left in /dev/shm if a process dies).
        #expect(await eventually { Self.laneFilesLeft(worker).isEmpty }, "\(Self.laneFilesLeft(worker))")
        #expect(cluster.snapshot().drops.total == 0)

        await worker.stop()
        // A worker that left takes its lane with it.
        #expect(await eventually(timeout: .seconds(3)) { cluster.laneCount == 0 })
    }

    @Test func aRouterThatDoesNotMapLanesLeavesTheWorkerOnZeroMQ() async throws {
        BLAS.setThreads(1)
        let cluster = try Self.makeCluster(acceptsLanes: false)
        defer { cluster.stop() }
        let worker = try RunningWorker(endpoint: cluster.endpoint, id: "all")
        #expect(await eventually(timeout: .seconds(10)) { cluster.health().ready })
        #expect(try await Self.worstDifference(cluster, rows: 3, seed: 12) < 1e-5)
        #expect(cluster.snapshot().statistics.laneDispatches == 0)
        #expect(!worker.worker.statistics.laneAccepted)
        #expect(worker.worker.statistics.lanePath != nil)
        #expect(worker.worker.statistics.dispatchesViaLane == 0)
        // The worker dropped the lane the router did not take: its files are gone too.
        #expect(await eventually { Self.laneFilesLeft(worker).isEmpty }, "\(Self.laneFilesLeft(worker))")
        await worker.stop()
    }

    /// A 4 KiB ring: dispatches of 6 rows (three slots each, 64 floats a row: 4.6 KB) cannot fit and
    /// go over ZeroMQ, 1-row dispatches take the lane; every result is right either way.
    @Test func dispatchesTooLargeForTheLaneGoOverZeroMQ() async throws {
        BLAS.setThreads(1)
        let cluster = try Self.makeCluster()
        defer { cluster.stop() }
        let worker = try RunningWorker(endpoint: cluster.endpoint, id: "all", configure: { $0.localLaneBytes = 4096 })
        #expect(await eventually(timeout: .seconds(10)) { cluster.health().ready })
        #expect(await eventually { worker.worker.statistics.laneAccepted })
        let layers = UInt64(TestModel.shared.config.numLayers)
        #expect(try await Self.worstDifference(cluster, rows: 6, seed: 13) < 1e-5)
        #expect(cluster.snapshot().statistics.laneFallbacks == layers)
        #expect(cluster.snapshot().statistics.laneDispatches == 0)
        #expect(try await Self.worstDifference(cluster, rows: 1, seed: 14) < 1e-5)
        #expect(cluster.snapshot().statistics.laneDispatches == layers)
        #expect(cluster.snapshot().statistics.laneFallbacks == layers)
        await worker.stop()
    }

    /// A router that restarts without the worker noticing answers its next dispatch-less message
    /// with "unknown peer"; the worker registers again on the same connection. The lane the old
    /// router mapped has no files left, so the new registration offers a fresh one the new router
    /// can open.
    @Test func registeringAgainOffersAFreshLaneOnceTheOldOneWasMapped() async throws {
        let router = try FakeRouter(limits: TestModel.shared.limits)
        let running = try RunningWorker(router: router, id: "w-lane")
        let arrival = try #require(await router.expect(.register))
        guard case .register(let first) = arrival.message else { Issue.record("not a register"); return }
        #expect(first.hasLocalLane)
        let mapped = try SharedMemoryLane.open(path: first.localLane.path, token: [UInt8](first.localLane.token))
        try router.welcome(arrival.routingID, localLane: true)
        #expect(await eventually { running.worker.statistics.laneAccepted })
        #expect(await eventually { !FileManager.default.fileExists(atPath: mapped.path) })

        try router.send(.refusal(Switchyard_V1_Refusal(code: .unknownPeer, text: "who are you")), to: arrival.routingID)
        let again = try #require(await router.expect(.register, timeout: .seconds(2)))
        guard case .register(let second) = again.message else { Issue.record("not a register"); return }
        #expect(second.hasLocalLane && second.localLane.path != first.localLane.path)
        #expect(throws: Never.self) { _ = try SharedMemoryLane.open(path: second.localLane.path, token: [UInt8](second.localLane.token)) }
        #expect(running.worker.statistics.connects == 1)
        await running.stop()
    }
}
