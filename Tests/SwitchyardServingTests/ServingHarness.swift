import SwitchyardTools
import SwitchyardTokenizer
import Foundation
import TestSupport
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import NIOCore
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

/// An in-process `serve`: the real engine on the tiny model behind the real HTTP application.
///
/// By default requests go straight to the application's responder through HummingbirdTesting's
/// router framework: no socket, no port. Tests of what only a connection shows (client hang-ups,
/// timeouts, raw HTTP edges) start it with `socket: true`: the application then listens on an
/// ephemeral loopback port and `socketClient()` talks to it.
final class ServingHarness: @unchecked Sendable {
    let service: EngineService
    let engine: Engine
    private let transport: Transport
    private let task: Task<Void, any Error>
    private let finish: AsyncStream<Void>.Continuation?

    private enum Transport {
        case inProcess(any TestClientProtocol)
        case socket(TestHTTPClient)
    }

    static func start(limits: SchedulerLimits? = nil, apiKey: String? = nil, tokenizer: (any ServingTokenizer)? = nil,
                      chatTemplates: ChatTemplateSet? = nil, edges: HTTPEdgeLimits = HTTPEdgeLimits(),
                      corsOrigin: String? = nil, socket: Bool = false) async throws -> ServingHarness {
        BLAS.setThreads(1)
        let engine = try Engine.load(directory: TinyModel.directory)
        let server = ServingServer(
            engine: engine, limits: limits ?? SchedulerLimits(maxBatchTokens: 256, maxRunningSequences: 32, kvCapacityTokens: 16384),
            shutdownGrace: .seconds(5),
            http: ServingConfiguration(host: "127.0.0.1", port: 0, modelName: "tiny", apiKey: apiKey, edges: edges, corsOrigin: corsOrigin),
            tokenizer: tokenizer, chatTemplates: chatTemplates)
        return try await socket ? listening(server) : inProcess(server)
    }

    /// Runs the application under HummingbirdTesting's router framework until `stop()`; the test
    /// client it hands out is used from outside its closure, which stays open until then.
    private static func inProcess(_ server: ServingServer) async throws -> ServingHarness {
        let app = server.application()
        let client = Mutex<(any TestClientProtocol)?>(nil)
        let (stopped, finish) = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            try await app.test(.router) { testClient in
                client.withLock { $0 = testClient }
                for await _ in stopped {}
            }
        }
        for _ in 0 ..< 500 {
            if let ready = client.withLock({ $0 }) {
                return ServingHarness(server: server, transport: .inProcess(ready), task: task, finish: finish)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        finish.finish()
        task.cancel()
        throw TestHTTPError("the in-process application did not start within 5 s")
    }

    /// Listens on an ephemeral loopback port.
    private static func listening(_ server: ServingServer) async throws -> ServingHarness {
        let port = Mutex<Int?>(nil)
        let app = server.application { bound in port.withLock { $0 = bound } }
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        for _ in 0 ..< 500 {
            if let bound = port.withLock({ $0 }) {
                return ServingHarness(server: server, transport: .socket(TestHTTPClient(port: bound)), task: task, finish: nil)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        task.cancel()
        throw TestHTTPError("server did not start within 5 s")
    }

    private init(server: ServingServer, transport: Transport, task: Task<Void, any Error>, finish: AsyncStream<Void>.Continuation?) {
        self.service = server.service
        self.engine = server.engine
        self.transport = transport
        self.task = task
        self.finish = finish
    }

    /// The loopback client of a harness started with `socket: true`.
    func socketClient() throws -> TestHTTPClient {
        guard case let .socket(client) = transport else { throw TestHTTPError("this harness has no socket: start it with socket: true") }
        return client
    }

    func stop() async {
        if let finish {
            finish.finish()
        } else {
            task.cancel()
        }
        _ = await task.result
    }

    /// One request, through whichever transport the harness has.
    func send(_ method: String, _ path: String, body: [UInt8]?, headers: [String: String] = [:]) async throws -> TestHTTPClient.Response {
        switch transport {
        case let .socket(client):
            return try await offPool { try client.send(method, path, body: body, headers: headers) }
        case let .inProcess(client):
            var fields = HTTPFields()
            for (name, value) in headers {
                guard let field = HTTPField.Name(name) else { throw TestHTTPError("bad header name \(name)") }
                fields[field] = value
            }
            if body != nil, fields[.contentType] == nil { fields[.contentType] = "application/json" }
            let response = try await client.executeRequest(
                uri: path, method: HTTPRequest.Method(method) ?? .get, headers: fields, body: body.map { ByteBuffer(bytes: $0) })
            var responseHeaders: [String: String] = [:]
            for field in response.headers { responseHeaders[field.name.canonicalName] = field.value }
            return TestHTTPClient.Response(status: response.status.code, headers: responseHeaders, body: Array(buffer: response.body))
        }
    }

    func post(_ object: [String: Any], headers: [String: String] = [:]) async throws -> TestHTTPClient.Response {
        try await send("POST", "/v1/completions", body: Array(try JSONSerialization.data(withJSONObject: object)), headers: headers)
    }

    func postRaw(_ json: String, path: String = "/v1/completions") async throws -> TestHTTPClient.Response {
        try await send("POST", path, body: Array(json.utf8))
    }

    func send(_ method: String, _ path: String, json: Any? = nil, headers: [String: String] = [:]) async throws -> TestHTTPClient.Response {
        let body = try json.map { Array(try JSONSerialization.data(withJSONObject: $0)) }
        return try await send(method, path, body: body, headers: headers)
    }

    func get(_ path: String, headers: [String: String] = [:]) async throws -> TestHTTPClient.Response {
        try await send("GET", path, body: nil, headers: headers)
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
