import Foundation
import Testing
@testable import SwitchyardCluster
import SwitchyardModel
import SwitchyardTensor
import SwitchyardWire
import SwitchyardZMQ

/// Issue 21: the cluster under faults while layer calls run, in one process (part of `make test`).
/// With 2 replicas: a worker that joins and never answers plus a registration flood, then a worker
/// killed (no goodbye) with dispatches in flight. Every call must succeed with the local backend's
/// numbers, and the counters show each event.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ChaosTests {
    /// 300 registrations with fresh ids from one connection, as fast as the socket takes them.
    static func flood(endpoint: String) throws {
        let model = TestModel.shared
        let fingerprint = try ModelIdentity.fingerprint(config: model.config, directory: model.directory)
        let context = try Context()
        let dealer = try Socket(context, type: .dealer)
        try SocketSetup.configureWorker(dealer, routingID: "flood", maxMessageBytes: WireDecoder(limits: model.limits).maxMessageBytes,
                                        instance: "chaos")
        try dealer.connect(endpoint)
        for index in 0 ..< 300 {
            var register = Switchyard_V1_Register()
            register.workerID = "flood-\(index)"
            register.capacity.threads = 1
            register.model = fingerprint
            try dealer.send(try WireFrames.message(.register(register)))
        }
        try dealer.set(.linger, 200)
        dealer.close()
        context.shutdown()
    }

    @Test func silentKilledAndFloodingPeersFailNoCall() async throws {
        BLAS.setThreads(1)
        let model = TestModel.shared
        let cluster = try ClusterService(
            modelConfig: model.config, fingerprint: try ModelIdentity.fingerprint(config: model.config, directory: model.directory),
            configuration: ClusterConfiguration(listen: "tcp://127.0.0.1:*", heartbeatInterval: .milliseconds(500), replicas: 2,
                                                dispatchTimeout: .seconds(1), maxBatchTokens: TestModel.maxBatchTokens))
        defer { cluster.stop() }
        // Smaller ids are chosen first at equal load: the faulty ones get dispatches.
        let silent = try FakeWorker(endpoint: cluster.endpoint, id: "a-silent", behaviour: .swallow)
        let real1 = try RunningWorker(endpoint: cluster.endpoint, id: "c-real", heartbeatMs: 500)
        let real2 = try RunningWorker(endpoint: cluster.endpoint, id: "d-real", heartbeatMs: 500)
        let settled = await eventually(timeout: .seconds(20)) {
            cluster.health().ready && cluster.snapshot().workers.filter { $0.state == .live && $0.experts > 0 }.count == 3
        }
        try #require(settled, "cluster never settled: \(cluster.health())")
        let call = try RescueTests().layerCall()
        let endpoint = cluster.endpoint

        /// Three concurrent streams of six layer calls; every output must equal the local one.
        func load() async throws -> (count: Int, worst: Float) {
            let tasks = (0 ..< 3).map { _ in
                Task.detached { () -> [[Float]] in
                    var outputs: [[Float]] = []
                    for _ in 0 ..< 6 {
                        let output = Matrix(rows: call.input.rows, cols: call.input.cols)
                        try await cluster.computeFFN(layer: 1, microBatch: 0, input: call.input, routes: call.routes, output: output)
                        outputs.append(output.toArray())
                    }
                    return outputs
                }
            }
            var worst: Float = 0
            var count = 0
            for task in tasks {
                for output in try await task.value {
                    worst = max(worst, zip(output, call.expected).map { abs($0 - $1) }.max() ?? .infinity)
                    count += 1
                }
            }
            return (count, worst)
        }

        // Round 1: the silent worker and a registration flood under load.
        let round1 = Task { try await load() }
        try await offPoolThrowing { try Self.flood(endpoint: endpoint) }
        let first = try await round1.value
        #expect(first.count == 18 && first.worst < 1e-5)
        let silentState = cluster.snapshot().workers.first { $0.id == "a-silent" }?.state
        #expect(silentState == .suspect || silentState == .evicted)
        #expect(await eventually(timeout: .seconds(10)) {
            cluster.health().ready && cluster.snapshot().workers.first { $0.id == "a-silent" }?.state == .evicted
        })

        // Round 2: a worker joins, takes a share, and is killed (no goodbye) with dispatches in flight.
        let doomed = try FakeWorker(endpoint: cluster.endpoint, id: "b-doomed", behaviour: .swallow)
        #expect(await eventually(timeout: .seconds(10)) {
            cluster.health().ready && (cluster.snapshot().workers.first { $0.id == "b-doomed" }?.experts ?? 0) > 0
        })
        let round2 = Task { try await load() }
        #expect(await eventually(timeout: .seconds(5)) { doomed.dispatches >= 1 })
        await doomed.kill()
        let second = try await round2.value
        #expect(second.count == 18 && second.worst < 1e-5)

        let snapshot = cluster.snapshot()
        #expect(snapshot.statistics.failedCalls == 0)
        #expect(snapshot.statistics.timeouts >= 1 && snapshot.statistics.resends >= 2 && snapshot.statistics.evictions >= 1)
        // The evicted silent worker and the killed one, at least.
        #expect(snapshot.statistics.workersLost >= 2)
        #expect(snapshot.statistics.rateLimitedRegistrations >= 200)
        #expect(snapshot.placementVersion < 200)
        #expect(await eventually(timeout: .seconds(10)) { cluster.health().ready })
        await silent.kill()
        await real1.stop()
        await real2.stop()
    }
}

/// Runs blocking socket work off the cooperative pool.
func offPoolThrowing(_ body: @escaping @Sendable () throws -> Void) async throws {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
