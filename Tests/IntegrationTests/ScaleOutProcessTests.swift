import Foundation
import Testing
import TestSupport
import SwitchyardModel
import SwitchyardTensor
#if canImport(Glibc)
import Glibc
#endif

/// Issue 7 end to end with real processes: with `--replicas 2`, a worker killed with SIGKILL under
/// load loses no request; SIGTERM on a worker and the admin drain call move its experts away first
/// and the worker exits 0; every answer equals the single-process engine's; `switchyard status`
/// shows it all.
@Suite("Scale-out: replicas, SIGKILL, drain, status", .serialized)
struct ScaleOutProcessTests {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-scale-tests-\(getpid())-\(UUID().uuidString.prefix(6))")
    static let prompts: [[Int]] = [[1, 2, 3, 4], [9, 8, 7], [5], [11, 12, 13, 14, 15, 16]]
    static let maxTokens = 12

    /// The single-process engine's greedy tokens for each prompt.
    func reference(model: URL) async throws -> [[Int]] {
        BLAS.setThreads(1)
        let engine = try Engine.load(directory: model)
        return try await greedyBatch(engine, prompts: Self.prompts.map { $0.map(Int32.init) }, steps: Self.maxTokens)
            .map { $0.tokens.map(Int.init) }
    }

    /// Waits (at most `limit`) until this test process has used under a third of a core for a
    /// second: the other suites of the run have finished their timing-sensitive work, which the
    /// processes this test starts would otherwise disturb.
    func waitUntilTheRunIsQuiet(limit: Duration = .seconds(40)) async throws {
        func cpuSeconds() -> Double {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        }
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let before = cpuSeconds()
            try await Task.sleep(for: .seconds(1))
            if cpuSeconds() - before < 0.33 { return }
        }
    }

    /// Client threads each sending greedy requests back to back until `stop` is set; records
    /// every outcome.
    final class Load: @unchecked Sendable {
        struct Outcome { var prompt: Int; var status: Int; var tokens: [Int]?; var text: String }
        private let lock = NSLock()
        private var outcomes: [Outcome] = []
        private var stopped = false
        private var running = 0

        var count: Int { lock.withLock { outcomes.count } }
        var all: [Outcome] { lock.withLock { outcomes } }
        func stop() { lock.withLock { stopped = true } }
        var finished: Bool { lock.withLock { running == 0 } }

        func start(clients: Int, port: Int) {
            let client = TestHTTPClient(port: port)
            for index in 0 ..< clients {
                lock.withLock { running += 1 }
                Thread { [self] in
                    var sent = 0
                    while !lock.withLock({ stopped }) {
                        let prompt = (index + sent) % ScaleOutProcessTests.prompts.count
                        sent += 1
                        let body = "{\"prompt\":\(ScaleOutProcessTests.prompts[prompt]),\"max_tokens\":\(ScaleOutProcessTests.maxTokens),"
                            + "\"temperature\":0,\"ignore_eos\":true,\"return_token_ids\":true}"
                        let outcome: Outcome
                        do {
                            let response = try client.post("/v1/completions", json: body)
                            let tokens = ((try? response.json())?["choices"] as? [[String: Any]])?.first?["token_ids"] as? [Int]
                            outcome = Outcome(prompt: prompt, status: response.status, tokens: tokens, text: String(response.text.prefix(300)))
                        } catch {
                            outcome = Outcome(prompt: prompt, status: -1, tokens: nil, text: "\(error)")
                        }
                        lock.withLock { outcomes.append(outcome) }
                        // A breath between requests: other suites of the run time things on this CPU.
                        Thread.sleep(forTimeInterval: 0.02)
                    }
                    lock.withLock { running -= 1 }
                }.start()
            }
        }

        /// Waits (bounded) until `more` further requests completed.
        func wait(more: Int, timeout: Duration = .seconds(60)) async throws {
            let target = count + more
            let deadline = ContinuousClock.now + timeout
            while count < target {
                if ContinuousClock.now > deadline { throw TestHTTPError("load stalled at \(count) requests (wanted \(target))") }
                try await Task.sleep(for: .milliseconds(20))
            }
        }

        func finish(timeout: Duration = .seconds(60)) async throws {
            stop()
            let deadline = ContinuousClock.now + timeout
            while !finished {
                if ContinuousClock.now > deadline { throw TestHTTPError("load clients did not finish") }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    func cluster(_ client: TestHTTPClient) async throws -> [String: Any] {
        let response = try await offPool { try client.get("/v1/cluster") }
        return try response.json()
    }

    func workers(_ status: [String: Any]) -> [String: [String: Any]] {
        var result: [String: [String: Any]] = [:]
        for worker in status["workers"] as? [[String: Any]] ?? [] { result[worker["id"] as? String ?? "?"] = worker }
        return result
    }

    /// Waits (bounded) until `condition` holds for `/v1/cluster`.
    func waitFor(_ client: TestHTTPClient, _ what: String, timeout: Duration = .seconds(40),
                 _ condition: ([String: Any]) -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        var last: [String: Any] = [:]
        while true {
            if let status = try? await cluster(client) {
                last = status
                if condition(status) { return }
            }
            if ContinuousClock.now > deadline { throw TestHTTPError("never: \(what); last /v1/cluster: \(last)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    func expectAllSucceeded(_ load: Load, _ reference: [[Int]], _ phase: String) {
        let outcomes = load.all
        let failed = outcomes.filter { $0.status != 200 }
        #expect(failed.isEmpty, "\(phase): \(failed.count) of \(outcomes.count) requests failed, first: \(failed.first.map { "\($0.status) \($0.text)" } ?? "")")
        let wrong = outcomes.filter { $0.status == 200 && $0.tokens != reference[$0.prompt] }
        #expect(wrong.isEmpty, "\(phase): \(wrong.count) answers differ from the single-process engine, first: \(wrong.first.map { "\($0.tokens ?? []) vs \(reference[$0.prompt])" } ?? "")")
    }

    @Test func replicasSurviveSigkillAndDrainsMoveExpertsFirst() async throws {
        try await waitUntilTheRunIsQuiet()
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { if ProcessInfo.processInfo.environment["SWITCHYARD_KEEP_TEST_LOGS"] == nil { try? FileManager.default.removeItem(at: work) } }
        let model = work.appendingPathComponent("model")
        let maker = try Daemon(["init-model", "--family", "mixtral", "--preset", "tiny", "--seed", "11", "--out", model.path],
                               log: work.appendingPathComponent("init.log"))
        #expect(try await maker.wait() == 0)
        let reference = try await reference(model: model)

        let httpPort = Binary.freePort()
        let endpoint = "tcp://127.0.0.1:\(Binary.freePort())"
        /// The cluster runs niced: the timing-sensitive suites running beside this one keep the CPU.
        func niced(_ daemon: Daemon) -> Daemon {
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(daemon.process.processIdentifier), 10)
            return daemon
        }
        let router = niced(try Daemon(["router", "--model", model.path, "--port", String(httpPort), "--listen", endpoint,
                                 "--heartbeat-ms", "500", "--replicas", "2", "--dispatch-timeout", "10"],
                                log: work.appendingPathComponent("router.log")))
        func startWorker(_ id: String, drainTimeout: Int = 30) throws -> Daemon {
            niced(try Daemon(["worker", "--router", endpoint, "--model", model.path, "--id", id, "--heartbeat-ms", "500",
                        "--drain-timeout", String(drainTimeout)],
                       log: work.appendingPathComponent("\(id).log")))
        }
        let client = TestHTTPClient(port: httpPort)
        let w1 = try startWorker("w1")
        let w2 = try startWorker("w2")
        let w3 = try startWorker("w3")
        try await waitFor(client, "3 live workers, every expert on 2") { status in
            let live = workers(status).values.filter { $0["state"] as? String == "live" && ($0["experts"] as? Int ?? 0) > 0 }
            return status["ready"] as? Bool == true && live.count == 3
        }

        // 1. SIGKILL w2 mid-load: its in-flight dispatches are re-sent to the other holders.
        let load = Load()
        load.start(clients: 2, port: httpPort)
        try await load.wait(more: 4)
        w2.signal(SIGKILL)
        _ = try await w2.wait()
        try await waitFor(client, "w2 declared dead") { workers($0)["w2"]?["state"] as? String == "dead" }
        try await load.wait(more: 4)
        expectAllSucceeded(load, reference, "after SIGKILL")

        // 2. SIGTERM w3 under load: a graceful drain; w1 takes everything, then w3 exits 0.
        w3.signal(SIGTERM)
        #expect(try await w3.wait(timeout: .seconds(40)) == 0, "\(w3.output.suffix(2000))")
        #expect(w3.output.contains("released by the router"), "\(w3.output.suffix(2000))")
        try await load.wait(more: 4)
        expectAllSucceeded(load, reference, "after SIGTERM drain")
        let afterDrain = try await cluster(client)
        #expect(workers(afterDrain)["w3"]?["state"] as? String == "left", "\(afterDrain)")
        #expect(afterDrain["ready"] as? Bool == true)

        // 3. A newcomer joins, then the admin call drains w1 onto it.
        let w4 = try startWorker("w4", drainTimeout: 2)
        try await waitFor(client, "w4 holds experts") { (workers($0)["w4"]?["experts"] as? Int ?? 0) > 0 }
        let unknown = try await offPool { try client.post("/v1/cluster/workers/nobody/drain", json: "{}") }
        #expect(unknown.status == 404 && unknown.text.contains("\"error\""), "\(unknown.text)")
        let drained = try await offPool { try client.post("/v1/cluster/workers/w1/drain", json: "{}") }
        #expect(drained.status == 202, "\(drained.text)")
        #expect(try await w1.wait(timeout: .seconds(40)) == 0, "\(w1.output.suffix(2000))")
        try await load.wait(more: 4)
        try await load.finish()
        expectAllSucceeded(load, reference, "after the admin drain")
        #expect(load.count >= 16)

        // 4. `switchyard status` shows the story.
        let status = try Daemon(["status", "--url", "http://127.0.0.1:\(httpPort)"], log: work.appendingPathComponent("status.log"))
        #expect(try await status.wait() == 0, "\(status.output)")
        let table = status.output
        #expect(table.hasPrefix("serving: 1 worker"), "\(table)")
        let rows = table.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        for (id, state) in [("w4", "live"), ("w1", "left"), ("w2", "dead"), ("w3", "left")] {
            #expect(rows.contains { $0.count > 1 && $0[0] == id && $0[1] == state }, "status table lacks \(id) \(state):\n\(table)")
        }
        let json = try Daemon(["status", "--url", "http://127.0.0.1:\(httpPort)", "--json"], log: work.appendingPathComponent("status-json.log"))
        #expect(try await json.wait() == 0)
        let parsed = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
        #expect(parsed?["placement_version"] as? Int ?? 0 > 0)
        // The JSON carries the traffic counters `status --json` promises (a missing key is a failure).
        for key in ["dispatch_resends", "dispatch_timeouts", "dispatches", "bytes_sent"] {
            #expect(parsed?[key] is Int, "status --json lacks \(key): \(json.output)")
        }
        let unreachable = try Daemon(["status", "--url", "http://127.0.0.1:\(Binary.freePort())"], log: work.appendingPathComponent("status-bad.log"))
        #expect(try await unreachable.wait() == 2)
        #expect(unreachable.output.contains("cannot reach the router"), "\(unreachable.output)")

        // 5. The last worker cannot be drained (no other holder): it leaves after --drain-timeout.
        w4.signal(SIGTERM)
        #expect(try await w4.wait(timeout: .seconds(20)) == 0)
        #expect(w4.output.contains("drain timed out"), "\(w4.output.suffix(2000))")
        router.signal(SIGTERM)
        #expect(try await router.wait() == 0, "\(router.output.suffix(2000))")
    }
}
