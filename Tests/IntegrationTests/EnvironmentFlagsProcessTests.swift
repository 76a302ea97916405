import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `SWITCHYARD_*` variables on the real binary, as containers and systemd units use them: a
/// router and a worker configured by environment alone form a cluster; bad values exit with a
/// usage error naming the variable; a router without keys warns that traffic is plain.
@Suite("Flags from the environment, as processes", .serialized)
struct EnvironmentFlagsProcessTests {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-env-tests-\(getpid())-\(UUID().uuidString.prefix(6))")

    func run(_ arguments: [String], environment: [String: String]) async throws -> (status: Int32, output: String) {
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let daemon = try Daemon(arguments, log: work.appendingPathComponent("run-\(UUID().uuidString.prefix(6)).log"), environment: environment)
        let status = try await daemon.wait()
        return (status, daemon.output)
    }

    @Test func aBadBooleanIsAUsageErrorNamingTheVariable() async throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let result = try await run(["bench", "--url", "http://127.0.0.1:1"], environment: ["SWITCHYARD_QUIET": "maybe"])
        #expect(result.status == 64)
        #expect(result.output.contains("SWITCHYARD_QUIET"), "\(result.output)")
    }

    @Test func aBadValueIsAUsageErrorNamingTheVariable() async throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let result = try await run(["serve", "--model", "/nonexistent"], environment: ["SWITCHYARD_PORT": "eighty"])
        #expect(result.status == 64)
        #expect(result.output.contains("--port") && result.output.contains("SWITCHYARD_PORT"), "\(result.output)")
    }

    @Test func aRouterAndAWorkerConfiguredByEnvironmentAloneFormACluster() async throws {
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let model = work.appendingPathComponent("model")
        let maker = try Daemon(["init-model"], log: work.appendingPathComponent("init.log"), environment: [
            "SWITCHYARD_FAMILY": "mixtral", "SWITCHYARD_PRESET": "tiny", "SWITCHYARD_SEED": "3", "SWITCHYARD_OUT": model.path,
        ])
        #expect(try await maker.wait() == 0, "\(maker.output)")

        let httpPort = Binary.freePort()
        let endpoint = "tcp://127.0.0.1:\(Binary.freePort())"
        let router = try Daemon(["router"], log: work.appendingPathComponent("router.log"), environment: [
            "SWITCHYARD_MODEL": model.path, "SWITCHYARD_PORT": String(httpPort), "SWITCHYARD_LISTEN": endpoint,
            "SWITCHYARD_HEARTBEAT_MS": "500",
        ])
        let worker = try Daemon(["worker"], log: work.appendingPathComponent("worker.log"), environment: [
            "SWITCHYARD_ROUTER": endpoint, "SWITCHYARD_MODEL": model.path, "SWITCHYARD_ID": "env-worker",
            "SWITCHYARD_HEARTBEAT_MS": "500",
            // SIGTERM drains; with no other worker to take the experts, the drain ends after this.
            "SWITCHYARD_DRAIN_TIMEOUT": "1",
        ])
        let client = TestHTTPClient(port: httpPort)
        let deadline = ContinuousClock.now + .seconds(30)
        var cluster = ""
        while ContinuousClock.now < deadline {
            if let response = try? await offPool({ try client.get("/v1/cluster") }), response.text.contains("\"env-worker\""),
               let health = try? await offPool({ try client.get("/health") }), health.status == 200 {
                cluster = response.text
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(cluster.contains("\"env-worker\""), "router: \(router.output)\nworker: \(worker.output)")
        // No keys: the router says the traffic is plain, and where it listens.
        #expect(router.output.contains("NOT encrypted") && router.output.contains(endpoint), "\(router.output)")

        worker.signal(SIGTERM)
        #expect(try await worker.wait() == 0, "\(worker.output)")
        #expect(worker.output.contains("drain timed out"), "\(worker.output)")
        router.signal(SIGTERM)
        #expect(try await router.wait() == 0, "\(router.output)")
    }
}
