import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The built `switchyard` binary next to the test bundle.
enum Binary {
    static var path: String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("switchyard").path,
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent(".build/debug/switchyard").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
    }

    /// A free loopback TCP port (bound, read back, released).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A child process with its output in a log file.
final class Daemon: @unchecked Sendable {
    let process = Process()
    let log: URL

    init(_ arguments: [String], log: URL, environment extra: [String: String] = [:]) throws {
        self.log = log
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: Binary.path)
        process.arguments = arguments
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"
        environment.merge(extra) { _, new in new }
        process.environment = environment
        try process.run()
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits (bounded) for the exit status.
    func wait(timeout: Duration = .seconds(20)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                signal(SIGKILL)
                throw TestHTTPError("\(process.arguments?.first ?? "process") did not exit in time; log: \(output)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

@Suite("Router and workers as processes", .serialized)
struct ProcessTests {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-process-tests-\(getpid())-\(UUID().uuidString.prefix(6))")

    func initModel() async throws -> URL {
        let model = work.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let maker = try Daemon(["init-model", "--family", "mixtral", "--preset", "tiny", "--seed", "11", "--out", model.path],
                               log: work.appendingPathComponent("init.log"))
        #expect(try await maker.wait() == 0)
        return model
    }

    func waitHealthy(_ client: TestHTTPClient, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let response = try? await offPool({ try client.get("/health") }), response.status == 200 { return }
            if ContinuousClock.now > deadline { throw TestHTTPError("router never became healthy") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Waits (bounded) until `/v1/cluster` lists these workers, each holding experts.
    func waitForWorkers(_ client: TestHTTPClient, _ ids: [String], timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let response = try? await offPool({ try client.get("/v1/cluster") }),
               let workers = (try? response.json())?["workers"] as? [[String: Any]],
               Set(workers.filter { ($0["experts"] as? Int ?? 0) > 0 }.compactMap { $0["id"] as? String }) == Set(ids) {
                return
            }
            if ContinuousClock.now > deadline { throw TestHTTPError("workers \(ids) never all held experts") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The first answer of a daemon that may not listen yet (bounded: a loaded machine starts it slowly).
    func firstAnswer(_ client: TestHTTPClient, _ path: String, timeout: Duration = .seconds(30)) async throws -> TestHTTPClient.Response {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let response = try? await offPool({ try client.get(path) }) { return response }
            if ContinuousClock.now > deadline { throw TestHTTPError("nothing answered \(path) within \(timeout)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    func greedy(_ client: TestHTTPClient, maxTokens: Int = 6) async throws -> TestHTTPClient.Response {
        try await offPool {
            try client.post("/v1/completions", json: "{\"prompt\":[1,2,3,4],\"max_tokens\":\(maxTokens),\"temperature\":0,\"ignore_eos\":true,\"return_token_ids\":true}")
        }
    }

    @Test func routerAndTwoWorkersServeSurviveAWorkerKillAndStopCleanly() async throws {
        let model = try await initModel()
        defer { try? FileManager.default.removeItem(at: work) }
        let httpPort = Binary.freePort()
        let zmqPort = Binary.freePort()
        let endpoint = "tcp://127.0.0.1:\(zmqPort)"
        let router = try Daemon(["router", "--model", model.path, "--port", String(httpPort), "--listen", endpoint, "--heartbeat-ms", "500"],
                                log: work.appendingPathComponent("router.log"))
        func startWorker(_ id: String) throws -> Daemon {
            try Daemon(["worker", "--router", endpoint, "--model", model.path, "--id", id, "--heartbeat-ms", "500"],
                       log: work.appendingPathComponent("\(id).log"))
        }
        let client = TestHTTPClient(port: httpPort)
        // Not ready without workers: 503 saying which experts are missing (once the router listens).
        let early = try await firstAnswer(client, "/health")
        #expect(early.status == 503 && early.text.contains("missing_experts"), "\(early.text)")

        let first = try startWorker("w1")
        var second = try startWorker("w2")
        try await waitHealthy(client)
        try await waitForWorkers(client, ["w1", "w2"])
        let reference = try await greedy(client)
        #expect(reference.status == 200, "\(reference.text)")
        let cluster = try await offPool { try client.get("/v1/cluster") }
        #expect(cluster.text.contains("\"w1\"") && cluster.text.contains("\"w2\""), "\(cluster.text)")

        // SIGKILL a worker while a long request streams: the request ends with an error quickly,
        // the router stays up.
        let stream = try client.open("POST", "/v1/completions", json: #"{"prompt":[5,6],"max_tokens":2000,"ignore_eos":true,"stream":true}"#)
        _ = try await offPool { try stream.read(until: "data: ") }
        second.signal(SIGKILL)
        _ = try await second.wait()
        let started = ContinuousClock.now
        let rest = try await offPool { try stream.read(until: "[DONE]") }
        stream.close()
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(rest.contains("\"error\"") || rest.contains("finish_reason\":\"length"), "stream after the kill: \(rest.suffix(300))")
        #expect(router.process.isRunning)

        // The worker comes back; requests succeed with the same greedy tokens.
        second = try startWorker("w2")
        try await waitHealthy(client)
        try await waitForWorkers(client, ["w1", "w2"])
        var again = try await greedy(client)
        for _ in 0 ..< 20 where again.status != 200 {
            try await Task.sleep(for: .milliseconds(200))
            again = try await greedy(client)
        }
        #expect(again.status == 200, "\(again.text)")
        func ids(_ response: TestHTTPClient.Response) throws -> [Int]? {
            (try response.json()["choices"] as? [[String: Any]])?.first?["token_ids"] as? [Int]
        }
        #expect(try ids(again) != nil && ids(again) == ids(reference))

        // SIGTERM stops everything with status 0.
        first.signal(SIGTERM)
        second.signal(SIGTERM)
        router.signal(SIGTERM)
        #expect(try await first.wait() == 0, "\(first.output)")
        #expect(try await second.wait() == 0, "\(second.output)")
        #expect(try await router.wait() == 0, "\(router.output)")
    }

    @Test func upRunsARouterAndWorkersAndStopsThemAllOnSIGTERM() async throws {
        let model = try await initModel()
        defer { try? FileManager.default.removeItem(at: work) }
        let httpPort = Binary.freePort()
        let up = try Daemon(["up", "--model", model.path, "--workers", "2", "--port", String(httpPort),
                             "--zmq-port", String(Binary.freePort())],
                            log: work.appendingPathComponent("up.log"))
        let client = TestHTTPClient(port: httpPort)
        try await waitHealthy(client, timeout: .seconds(60))
        try await waitForWorkers(client, ["worker-1", "worker-2"])
        let response = try await greedy(client)
        #expect(response.status == 200, "\(response.text)")
        // Every child's output reaches ours, prefixed by its name.
        #expect(up.output.contains("router | "), "\(up.output)")
        #expect(up.output.contains("worker-1 | ") && up.output.contains("worker-2 | "), "\(up.output)")
        // Co-located processes share the cores: the router and each worker get all of them (idle
        // worker threads sleep at once), and overlap is off (the router's phase and the workers' take turns).
        let cores = ProcessInfo.processInfo.activeProcessorCount
        #expect(up.output.contains("(\(cores) threads), 2 workers") && up.output.contains("(\(cores) threads each,"), "\(up.output)")
        #expect(up.output.contains("micro_batches=1"), "\(up.output)")
        // Whole experts unless --expert-slices says otherwise.
        // Workers' idle threads sleep at once (unless this environment chose a spin of its own).
        if ProcessInfo.processInfo.environment["SWITCHYARD_SPIN_US"] == nil {
            let workers = childrenRunning(using: model).filter { commandLine($0).contains(" worker ") }
            #expect(workers.count == 2, "\(childrenRunning(using: model).map(commandLine))")
            for pid in workers {
                let environment = (FileManager.default.contents(atPath: "/proc/\(pid)/environ") ?? Data()).split(separator: 0)
                    .map { String(decoding: $0, as: UTF8.self) }
                let spin = environment.filter { $0.hasPrefix("SWITCHYARD_SPIN_US=") }
                #expect(spin == ["SWITCHYARD_SPIN_US=0"], "worker \(pid)")
            }
        }
        #expect(up.output.contains("experts in 1 slice)"), "\(up.output)")

        up.signal(SIGTERM)
        #expect(try await up.wait(timeout: .seconds(60)) == 0, "\(up.output)")
        // No child outlives `up`.
        #expect(childrenRunning(using: model).isEmpty, "still running: \(childrenRunning(using: model))")
    }

    /// The command line of process `pid`, arguments separated by spaces.
    func commandLine(_ pid: Int32) -> String {
        let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
        return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    }

    /// Pids of processes whose command line mentions `model` (the children of `up`).
    func childrenRunning(using model: URL) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let text = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return text.contains(model.path) && !text.contains(" up ")
        }
    }

    @Test func benchStopsWithAClearErrorWhenTheModelNameCannotBeLearned() async throws {
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let bench = try Daemon(["bench", "--url", "http://127.0.0.1:\(Binary.freePort())", "--num-prompts", "2",
                                "--input-len", "4", "--output-len", "2", "--quiet"],
                               log: work.appendingPathComponent("bench.log"))
        #expect(try await bench.wait() == 1, "\(bench.output)")
        #expect(bench.output.contains("pass --model NAME"), "\(bench.output)")
    }

    @Test func perfRepeatReportsMediansAndEveryRunAndRejectsZero() async throws {
        let model = try await initModel()
        defer { try? FileManager.default.removeItem(at: work) }
        let perf = try Daemon(["perf", "--model", model.path, "--batch", "1,2", "--prompt-len", "4", "--gen-len", "3",
                               "--repeat", "3", "--threads", "1", "--json"], log: work.appendingPathComponent("perf.log"))
        #expect(try await perf.wait(timeout: .seconds(180)) == 0, "\(perf.output)")
        let line = try #require(perf.output.split(separator: "\n").first { $0.hasPrefix("{\"results\"") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let results = try #require(object["results"] as? [[String: Any]])
        #expect(results.map { $0["batch"] as? Int } == [1, 2])
        for r in results {
            #expect(r["runs"] as? Int == 3)
            let runs = try #require(r["decode_tok_s_runs"] as? [Double])
            #expect(runs.count == 3 && runs.allSatisfy { $0 > 0 })
            let median = try #require(r["decode_tok_s"] as? Double)
            #expect(abs(median - runs.sorted()[1]) < 0.01, "\(r)")
            #expect(abs((r["decode_tok_s_best"] as? Double ?? 0) - runs.max()!) < 0.01)
        }
        let bad = try Daemon(["perf", "--model", model.path, "--repeat", "0"], log: work.appendingPathComponent("bad.log"))
        #expect(try await bad.wait() == 1)
        #expect(bad.output.contains("--repeat must be between 1 and 100"), "\(bad.output)")
    }

    @Test func perfDispatchMeasuresARoundTripAndRejectsBadRows() async throws {
        let model = try await initModel()
        defer { try? FileManager.default.removeItem(at: work) }
        let perf = try Daemon(["perf", "--model", model.path, "--dispatch", "--kernel-rows", "1,4", "--threads", "1"],
                              log: work.appendingPathComponent("perf.log"))
        #expect(try await perf.wait(timeout: .seconds(120)) == 0, "\(perf.output)")
        let rows = perf.output.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("1 ") || $0.trimmingCharacters(in: .whitespaces).hasPrefix("4 ") }
        #expect(rows.count == 2, "\(perf.output)")
        let bad = try Daemon(["perf", "--model", model.path, "--dispatch", "--kernel-rows", "0"], log: work.appendingPathComponent("bad.log"))
        #expect(try await bad.wait() == 1)
        #expect(bad.output.contains("--kernel-rows takes positive integers"), "\(bad.output)")
        let noModel = try Daemon(["perf", "--dispatch"], log: work.appendingPathComponent("nomodel.log"))
        #expect(try await noModel.wait() == 1)
        #expect(noModel.output.contains("--dispatch needs --model"), "\(noModel.output)")
    }
}
