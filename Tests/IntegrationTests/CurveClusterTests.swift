import Foundation
import Testing
import Logging
import SwitchyardModel
import SwitchyardServing
import SwitchyardCluster
import SwitchyardCluster
import SwitchyardCluster
import SwitchyardZMQ

@Suite("CURVE between router and workers", .serialized)
struct CurveClusterTests {
    let directory = GoldenCheckpoints.root.appendingPathComponent(GoldenCheckpoints.names.first!)

    func quiet() -> Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    func startCluster(allowed: [CurveKey], serverKeys: CurveKeyPair) throws -> ClusterService {
        let config = try ModelConfig.load(directory: directory)
        return try ClusterService(
            modelConfig: config, fingerprint: try ModelIdentity.fingerprint(config: config, directory: directory),
            configuration: ClusterConfiguration(listen: "tcp://127.0.0.1:*", heartbeatInterval: .milliseconds(500),
                                                curve: .init(serverKeys: serverKeys, allowedWorkers: allowed)),
            logger: quiet())
    }

    func startWorker(_ id: String, endpoint: String, curve: WorkerConfiguration.Curve?) throws -> Worker {
        let worker = try Worker(configuration: WorkerConfiguration(routerEndpoint: endpoint, modelDirectory: directory, workerID: id,
                                                                   heartbeatInterval: .milliseconds(500), curve: curve),
                                logger: quiet())
        try worker.start()
        return worker
    }

    @Test func allowedWorkerServesUnknownKeyAndPlainTextAreRefused() async throws {
        let server = try CurveKeyPair.generate()
        let allowed = try CurveKeyPair.generate()
        let stranger = try CurveKeyPair.generate()
        let cluster = try startCluster(allowed: [allowed.publicKey], serverKeys: server)
        defer { cluster.stop() }

        let intruder = try startWorker("intruder", endpoint: cluster.endpoint, curve: .init(keys: stranger, routerKey: server.publicKey))
        let plain = try startWorker("plain", endpoint: cluster.endpoint, curve: nil)
        defer { intruder.stop(); plain.stop() }
        try await Task.sleep(for: .seconds(1))
        #expect(cluster.snapshot().workers.isEmpty, "a worker without an allowed key registered")
        #expect(cluster.refusedWorkerKeys >= 1)
        #expect(!cluster.health().ready)

        let good = try startWorker("good", endpoint: cluster.endpoint, curve: .init(keys: allowed, routerKey: server.publicKey))
        defer { good.stop() }
        let deadline = ContinuousClock.now + .seconds(20)
        while !cluster.health().ready && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(cluster.health().ready)
        #expect(cluster.snapshot().workers.map(\.id) == ["good"])
    }

    @Test func keyFilesRoundTripWithPrivateSecrets() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-keys-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pair = try CurveKeyFiles.writeNewPair(to: directory)
        let secretPath = directory.appendingPathComponent("secret.key").path
        let mode = try FileManager.default.attributesOfItem(atPath: secretPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try CurveKeyFiles.readSecret(secretPath) == pair)
        #expect(try CurveKeyFiles.readPublic(directory.appendingPathComponent("public.key").path) == pair.publicKey)
        #expect(throws: CurveKeyFileError.self) { try CurveKeyFiles.writeNewPair(to: directory) }
        let list = directory.appendingPathComponent("allowed")
        try "# workers\n\(pair.publicKey.z85)\n\n".write(to: list, atomically: true, encoding: .utf8)
        #expect(try CurveKeyFiles.readAllowList(list.path) == [pair.publicKey])
        // Z85 text may contain `#`: such a key is a key, not a comment.
        let hashed = try CurveKey(z85: "0#" + String(repeating: "0", count: 38))
        try "\(hashed.z85)\n".write(to: list, atomically: true, encoding: .utf8)
        #expect(try CurveKeyFiles.readAllowList(list.path) == [hashed])
        try "not-a-key\n".write(to: list, atomically: true, encoding: .utf8)
        #expect(throws: CurveKeyFileError.self) { try CurveKeyFiles.readAllowList(list.path) }
    }
}
