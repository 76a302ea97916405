import Foundation
import Synchronization
import Testing
@testable import SwitchyardCluster
import SwitchyardModel
import SwitchyardTensor
import SwitchyardCluster
import SwitchyardCluster

/// Workers against the router's real `ClusterService`: registration, placement (one worker pinned),
/// dispatch and combine give the in-process backend's numbers; stopped workers leave the router degraded.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct RealRouterTests {
    /// With `slices` 2 each worker holds halves of experts (`--expert-slices 2`): the pinned one both
    /// halves of experts 0 and 1, and the router adds the halves.
    @Test(arguments: [1, 2])
    func twoWorkersBehindTheRealRouterMatchTheLocalBackend(slices: Int) async throws {
        BLAS.setThreads(1)
        let model = TestModel.shared
        let config = model.config
        let slicing = try ExpertSlicing(count: slices)
        let fingerprint = try ModelIdentity.fingerprint(config: config, directory: model.directory)
        let cluster = try ClusterService(modelConfig: config, fingerprint: fingerprint, configuration: ClusterConfiguration(
            listen: "tcp://127.0.0.1:*", heartbeatInterval: .milliseconds(100), maxBatchTokens: TestModel.maxBatchTokens,
            expertSlicing: slicing))
        defer { cluster.stop() }
        let pinned = try RunningWorker(endpoint: cluster.endpoint, id: "pinned", pinned: [0, 1], expertSlicing: slicing)
        let free = try RunningWorker(endpoint: cluster.endpoint, id: "free", expertSlicing: slicing)
        #expect(await eventually(timeout: .seconds(10)) { cluster.health().ready })
        #expect(await eventually {
            let held = pinned.worker.statistics.heldExperts
            return !held.isEmpty && held.allSatisfy { slicing.expert(ofUnit: $0.expert) <= 1 }
        })

        let full = try LocalExpertBackend(checkpoint: Checkpoint(directory: model.directory, config: config), config: config)
        var generator = SeededGenerator(seed: 3)
        for layer in 0..<config.numLayers {
            let rows = 6
            let input = Matrix.random(rows: rows, cols: config.hiddenSize, scale: 1, generator: &generator)
            let routes = TestModel.routes(rows: rows)
            let remote = Matrix(rows: rows, cols: config.hiddenSize)
            try await cluster.computeFFN(layer: layer, microBatch: 0, input: input, routes: routes, output: remote)
            let local = Matrix(rows: rows, cols: config.hiddenSize)
            try full.computeFFNSync(layer: layer, input: input, routes: routes, output: local)
            let worst = zip(remote.toArray(), local.toArray()).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst < 1e-5)
        }
        #expect(pinned.worker.statistics.dispatchesServed >= 1 && free.worker.statistics.dispatchesServed >= 1)
        let statistics = cluster.snapshot().statistics
        #expect(statistics.layerCalls == UInt64(config.numLayers))
        #expect(statistics.layerCallMicros > 0 && statistics.computeMicros > 0)

        await pinned.stop()
        await free.stop()
        #expect(await eventually(timeout: .seconds(3)) { !cluster.health().ready })
        #expect(cluster.snapshot().drops.total == 0)
    }

    /// The router's backend parks the compute threads once per layer call when asked to (one
    /// micro-batch in flight), never otherwise; the layer's result is the same either way. The
    /// worker parks its own once per reply.
    @Test(arguments: [true, false])
    func theBackendParksComputeThreadsPerLayerCallOnlyWhenAsked(parks: Bool) async throws {
        BLAS.setThreads(1)
        let model = TestModel.shared
        let config = model.config
        let fingerprint = try ModelIdentity.fingerprint(config: config, directory: model.directory)
        let cluster = try ClusterService(modelConfig: config, fingerprint: fingerprint, configuration: ClusterConfiguration(
            listen: "tcp://127.0.0.1:*", heartbeatInterval: .milliseconds(100), maxBatchTokens: TestModel.maxBatchTokens))
        defer { cluster.stop() }
        let workerParked = Mutex(0)
        let worker = try RunningWorker(endpoint: cluster.endpoint, id: "all", parkComputeThreads: { workerParked.withLock { $0 += 1 } })
        #expect(await eventually(timeout: .seconds(10)) { cluster.health().ready })
        let parked = Mutex(0)
        let backend = RemoteExpertBackend(cluster: cluster, parksComputeThreads: parks, park: { parked.withLock { $0 += 1 } })
        let full = try LocalExpertBackend(checkpoint: Checkpoint(directory: model.directory, config: config), config: config)
        var generator = SeededGenerator(seed: 5)
        for layer in 0..<config.numLayers {
            let input = Matrix.random(rows: 3, cols: config.hiddenSize, scale: 1, generator: &generator)
            let routes = ExpertRoutes(rows: 3, slotsPerRow: 2, expertIDs: [0, 1, 2, 3, 1, 2], weights: [0.6, 0.4, 0.5, 0.5, 0.9, 0.1])
            let remote = Matrix(rows: 3, cols: config.hiddenSize)
            try await backend.computeFFN(layer: layer, microBatch: 0, input: input, routes: routes, output: remote)
            let local = Matrix(rows: 3, cols: config.hiddenSize)
            try full.computeFFNSync(layer: layer, input: input, routes: routes, output: local)
            #expect(zip(remote.toArray(), local.toArray()).map { abs($0 - $1) }.max() ?? .infinity < 1e-5)
        }
        #expect(parked.withLock { $0 } == (parks ? config.numLayers : 0))
        // The worker parks its own after every reply with nothing queued behind it: one per layer here.
        #expect(await eventually { workerParked.withLock { $0 } == config.numLayers }, "\(workerParked.withLock { $0 })")
        await worker.stop()
    }

    @Test func aWorkerCuttingExpertsDifferentlyIsRefused() async throws {
        let model = TestModel.shared
        let fingerprint = try ModelIdentity.fingerprint(config: model.config, directory: model.directory)
        let cluster = try ClusterService(modelConfig: model.config, fingerprint: fingerprint, configuration: ClusterConfiguration(
            listen: "tcp://127.0.0.1:*", heartbeatInterval: .milliseconds(100), maxBatchTokens: TestModel.maxBatchTokens,
            expertSlicing: try ExpertSlicing(count: 2)))
        defer { cluster.stop() }
        let whole = try RunningWorker(endpoint: cluster.endpoint, id: "whole")
        let result = try #require(await whole.finished(timeout: .seconds(10)))
        guard case .failure(.refused(let code, let text)) = result else { Issue.record("expected a refusal, got \(result)"); return }
        #expect(code == .modelMismatch)
        #expect(text.contains("expert slices 1 vs 2"))
        #expect(!cluster.health().ready)
    }
}
