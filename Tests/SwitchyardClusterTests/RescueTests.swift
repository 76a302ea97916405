import Foundation
import Testing
@testable import SwitchyardCluster
import SwitchyardModel
import SwitchyardTensor
import SwitchyardCluster
import SwitchyardCluster

/// The router's re-send of in-flight dispatches, against its real `ClusterService`: a worker that
/// dies (socket gone, no goodbye), refuses or stays silent past the dispatch timeout has its rows
/// computed by the other holder, with the local backend's numbers; without another holder the call
/// fails fast.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct RescueTests {
    /// A real worker `b-real` and a fake `a-fake` (chosen first: equal load, smaller id), both
    /// holding every expert with 2 replicas.
    func cluster(replicas: Int, fake: FakeWorker.Behaviour, pinned: [UInt32] = [], dispatchTimeout: Duration = .seconds(20)) async throws
        -> (ClusterService, FakeWorker, RunningWorker) {
        let model = TestModel.shared
        let cluster = try ClusterService(
            modelConfig: model.config, fingerprint: try ModelIdentity.fingerprint(config: model.config, directory: model.directory),
            configuration: ClusterConfiguration(listen: "tcp://127.0.0.1:*", heartbeatInterval: .milliseconds(500), replicas: replicas,
                                                dispatchTimeout: dispatchTimeout, maxBatchTokens: TestModel.maxBatchTokens))
        let fakeWorker = try FakeWorker(endpoint: cluster.endpoint, id: "a-fake", behaviour: fake, pinned: pinned)
        let real = try RunningWorker(endpoint: cluster.endpoint, id: "b-real", heartbeatMs: 500)
        let keys = LocalExpertBackend.allKeys(model.config).count
        let settled = await eventually(timeout: .seconds(15)) {
            let workers = cluster.snapshot().workers.filter { $0.state == .live }
            return cluster.health().ready && workers.count == 2 && workers.allSatisfy { $0.experts == (replicas > 1 ? keys : $0.target) }
        }
        try #require(settled, "cluster never settled: \(cluster.health())")
        return (cluster, fakeWorker, real)
    }

    /// One layer's routed rows (two routed experts + the shared one per token) and the local result.
    func layerCall() throws -> (input: Matrix, routes: ExpertRoutes, expected: [Float]) {
        let config = TestModel.shared.config
        var generator = SeededGenerator(seed: 9)
        let rows = 5
        let input = Matrix.random(rows: rows, cols: config.hiddenSize, scale: 1, generator: &generator)
        var ids: [Int32] = []
        var weights: [Float] = []
        for row in 0..<rows {
            ids += [Int32(row % 4), Int32((row + 1) % 4), 4]
            weights += [0.6, 0.4, 0.5]
        }
        let routes = ExpertRoutes(rows: rows, slotsPerRow: 3, expertIDs: ids, weights: weights)
        let full = try LocalExpertBackend(checkpoint: Checkpoint(directory: TestModel.shared.directory, config: config), config: config)
        let local = Matrix(rows: rows, cols: config.hiddenSize)
        try full.computeFFNSync(layer: 1, input: input, routes: routes, output: local)
        return (input, routes, local.toArray())
    }

    func run(_ cluster: ClusterService, _ call: (input: Matrix, routes: ExpertRoutes, expected: [Float])) -> Task<[Float], any Error> {
        Task.detached {
            let output = Matrix(rows: call.input.rows, cols: call.input.cols)
            try await cluster.computeFFN(layer: 1, microBatch: 0, input: call.input, routes: call.routes, output: output)
            return output.toArray()
        }
    }

    func worst(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? .infinity }

    @Test func aDispatchInFlightToAWorkerThatDiesIsReSentToTheOtherHolder() async throws {
        BLAS.setThreads(1)
        let (cluster, fake, real) = try await cluster(replicas: 2, fake: .swallow)
        defer { cluster.stop() }
        let call = try layerCall()
        let task = run(cluster, call)
        #expect(await eventually(timeout: .seconds(5)) { fake.dispatches >= 1 })
        let started = ContinuousClock.now
        await fake.kill()
        let output = try await task.value
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(worst(output, call.expected) < 1e-5)
        #expect(cluster.snapshot().statistics.resends >= 1 && real.worker.statistics.dispatchesServed >= 1)
        #expect(cluster.snapshot().workers.first { $0.id == "a-fake" }?.state == .dead)
        await real.stop()
    }

    @Test func aRefusedDispatchIsReSentToTheOtherHolder() async throws {
        BLAS.setThreads(1)
        let (cluster, fake, real) = try await cluster(replicas: 2, fake: .refuse)
        defer { cluster.stop() }
        let call = try layerCall()
        let output = try await run(cluster, call).value
        #expect(worst(output, call.expected) < 1e-5)
        #expect(fake.dispatches >= 1 && cluster.snapshot().statistics.resends >= 1)
        await fake.kill()
        await real.stop()
    }

    @Test func aDispatchPastTheTimeoutIsReSentToTheOtherHolder() async throws {
        BLAS.setThreads(1)
        let (cluster, fake, real) = try await cluster(replicas: 2, fake: .swallow, dispatchTimeout: .seconds(1))
        defer { cluster.stop() }
        let call = try layerCall()
        let started = ContinuousClock.now
        let output = try await run(cluster, call).value
        #expect(ContinuousClock.now - started >= .milliseconds(900))
        #expect(worst(output, call.expected) < 1e-5)
        #expect(cluster.snapshot().statistics.timeouts >= 1 && cluster.snapshot().statistics.resends >= 1)
        await fake.kill()
        await real.stop()
    }

    /// Issue 21 (1): a worker that heartbeats but never answers is suspect after its first missed
    /// deadline (status says why), later calls avoid it at once, and it is evicted and told to leave.
    @Test func aSilentWorkerIsSuspectAvoidedAndEvicted() async throws {
        BLAS.setThreads(1)
        let (cluster, fake, real) = try await cluster(replicas: 2, fake: .swallow, dispatchTimeout: .seconds(1))
        defer { cluster.stop() }
        let call = try layerCall()
        let first = try await run(cluster, call).value
        #expect(worst(first, call.expected) < 1e-5)
        let suspect = cluster.snapshot().workers.first { $0.id == "a-fake" }
        #expect(suspect?.state == .suspect || suspect?.state == .evicted)
        #expect(suspect?.reason?.contains("missed 1 dispatch deadline") == true)
        let swallowed = fake.dispatches
        let started = ContinuousClock.now
        let second = try await run(cluster, call).value
        #expect(ContinuousClock.now - started < .milliseconds(900))
        #expect(worst(second, call.expected) < 1e-5 && fake.dispatches == swallowed)
        // One more timeout as suspect and it is evicted: told to leave, shown as evicted.
        #expect(await eventually(timeout: .seconds(5)) { !fake.disconnects.isEmpty })
        #expect(fake.disconnects.first?.contains("evicted") == true)
        #expect(await eventually(timeout: .seconds(5)) { cluster.snapshot().workers.first { $0.id == "a-fake" }?.state == .evicted })
        #expect(cluster.snapshot().statistics.failedCalls == 0)
        await fake.kill()
        await real.stop()
    }

    /// Issue 21 (2): a second registration of a live worker's id from another process is refused
    /// with DUPLICATE_WORKER_ID and the live worker keeps its place.
    @Test func aDuplicateWorkerIDIsRefused() async throws {
        BLAS.setThreads(1)
        let (cluster, fake, real) = try await cluster(replicas: 2, fake: .refuse)
        defer { cluster.stop() }
        let impostor = try FakeWorker(endpoint: cluster.endpoint, id: "b-real", behaviour: .swallow, instance: "impostor")
        #expect(await eventually(timeout: .seconds(5)) { impostor.refusals == [.duplicateWorkerID] })
        #expect(cluster.snapshot().refusedRegistrations >= 1)
        #expect(cluster.snapshot().workers.first { $0.id == "b-real" }?.state == .live)
        let call = try layerCall()
        let output = try await run(cluster, call).value
        #expect(worst(output, call.expected) < 1e-5 && impostor.dispatches == 0)
        await impostor.kill()
        await fake.kill()
        await real.stop()
    }

    @Test func withoutAnotherHolderTheCallFailsFastWhenTheWorkerDies() async throws {
        BLAS.setThreads(1)
        // The fake alone holds experts 0 and 1 of every layer.
        let (cluster, fake, real) = try await cluster(replicas: 1, fake: .swallow, pinned: [0, 1])
        defer { cluster.stop() }
        let call = try layerCall()
        let task = run(cluster, call)
        #expect(await eventually(timeout: .seconds(5)) { fake.dispatches >= 1 })
        let started = ContinuousClock.now
        await fake.kill()
        await #expect(throws: ClusterError.self) { try await task.value }
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(cluster.snapshot().statistics.failedCalls >= 1)
        await real.stop()
    }
}
