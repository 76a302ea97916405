import SwitchyardTools
import SwitchyardTokenizer
import Foundation
import TestSupport
import Hummingbird
import Synchronization
import SwitchyardModel
import SwitchyardServing
import SwitchyardTensor

/// A tiny random model written once per test process.
enum TinyModel {
    static let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-router-tests-\(getpid())")
        if !FileManager.default.fileExists(atPath: url.appendingPathComponent("config.json").path) {
            let config = ModelInitializer.config(family: .mixtral, preset: .tiny)
            _ = try! ModelInitializer.write(config: config, dtype: .f32, seed: 7, to: url)
        }
        return url
    }()

    /// The byte-level BPE `init-model` writes for the tiny model (ids < its vocabulary of 512).
    static let tokenizer: Tokenizer = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-router-tests-tokenizer-\(getpid())")
        try! TokenizerTrainer.write(vocabSize: 512, modelMaxLength: 2048, to: url)
        return try! Tokenizer.load(directory: url)
    }()
}

/// An in-process `serve`: the real engine on the tiny model behind the real HTTP application,
/// listening on an ephemeral loopback port.
final class ServingHarness: @unchecked Sendable {
    let service: EngineService
    let client: TestHTTPClient
    let engine: Engine
    let port: Int
    private let task: Task<Void, any Error>

    static func start(limits: SchedulerLimits? = nil, apiKey: String? = nil, tokenizer: (any ServingTokenizer)? = nil,
                      chatTemplates: ChatTemplateSet? = nil, edges: HTTPEdgeLimits = HTTPEdgeLimits(),
                      corsOrigin: String? = nil) async throws -> ServingHarness {
        BLAS.setThreads(1)
        let engine = try Engine.load(directory: TinyModel.directory)
        let server = ServingServer(
            engine: engine, limits: limits ?? SchedulerLimits(maxBatchTokens: 256, maxRunningSequences: 32, kvCapacityTokens: 16384),
            shutdownGrace: .seconds(5),
            http: ServingConfiguration(host: "127.0.0.1", port: 0, modelName: "tiny", apiKey: apiKey, edges: edges, corsOrigin: corsOrigin),
            tokenizer: tokenizer, chatTemplates: chatTemplates)
        let service = server.service
        let port = Mutex<Int?>(nil)
        let app = server.application { bound in port.withLock { $0 = bound } }
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        for _ in 0 ..< 500 {
            if let bound = port.withLock({ $0 }) {
                return ServingHarness(service: service, engine: engine, port: bound, task: task)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        task.cancel()
        throw TestHTTPError("server did not start within 5 s")
    }

    private init(service: EngineService, engine: Engine, port: Int, task: Task<Void, any Error>) {
        self.port = port
        self.service = service
        self.engine = engine
        self.client = TestHTTPClient(port: port)
        self.task = task
    }

    func stop() async {
        task.cancel()
        _ = await task.result
    }

    func post(_ object: [String: Any], headers: [String: String] = [:]) async throws -> TestHTTPClient.Response {
        let data = try JSONSerialization.data(withJSONObject: object)
        let client = self.client
        return try await offPool { try client.send("POST", "/v1/completions", body: Array(data), headers: headers) }
    }

    func postRaw(_ json: String) async throws -> TestHTTPClient.Response {
        let client = self.client
        return try await offPool { try client.post("/v1/completions", json: json) }
    }

    func send(_ method: String, _ path: String, json: Any? = nil, headers: [String: String] = [:]) async throws -> TestHTTPClient.Response {
        let body = try json.map { Array(try JSONSerialization.data(withJSONObject: $0)) }
        let client = self.client
        return try await offPool { try client.send(method, path, body: body, headers: headers) }
    }

    func get(_ path: String) async throws -> TestHTTPClient.Response {
        let client = self.client
        return try await offPool { try client.get(path) }
    }

    /// Greedy token ids of a non-streamed completion.
    func greedy(_ prompt: [Int], maxTokens: Int) async throws -> [Int] {
        let response = try await post(["prompt": prompt, "max_tokens": maxTokens, "temperature": 0,
                                       "ignore_eos": true, "return_token_ids": true])
        guard response.status == 200 else { throw TestHTTPError("status \(response.status): \(response.text)") }
        let choices = try response.json()["choices"] as? [[String: Any]]
        guard let ids = choices?.first?["token_ids"] as? [Int] else { throw TestHTTPError("no token_ids in \(response.text)") }
        return ids
    }

    /// Waits (bounded) until a condition on the service holds.
    func waitUntil(_ what: String, timeout: Duration = .seconds(10), _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            if ContinuousClock.now >= deadline { throw TestHTTPError("timed out waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
