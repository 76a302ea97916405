import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// How the fake server answers `POST /v1/completions`.
enum FakeBehavior: Sendable {
    /// A well-formed completion: `max_tokens` chunks `tokenDelay` apart, usage, `[DONE]`
    /// (or one JSON body when the request asks for `stream: false`).
    case stream(tokenDelay: Duration, usage: Bool)
    /// The first request takes `stall` before its first token; the rest answer as `.stream`.
    case stallFirst(stall: Duration)
    /// An OpenAI-style error with this status.
    case status(Int)
    /// A 200 whose event data is not JSON.
    case malformed
    /// Two token chunks, then the body ends with no finish_reason and no `[DONE]`.
    case truncated
    /// Accepts and says nothing for `hold` (to trip the client's timeouts).
    case hang(hold: Duration)
}

/// What the fake server saw, for assertions.
final class FakeServerLog: Sendable {
    private let bodies = Mutex<[Data]>([])

    func append(_ body: Data) { bodies.withLock { $0.append(body) } }

    /// The JSON bodies of the completion requests received, in arrival order.
    var requests: [[String: Any]] {
        bodies.withLock { $0 }.map { (try? JSONSerialization.jsonObject(with: $0)) as? [String: Any] ?? [:] }
    }
}

/// An in-process OpenAI-compatible server on 127.0.0.1 (an ephemeral port), speaking the same
/// completions API as `switchyard serve`, vLLM and llama.cpp.
enum FakeOpenAIServer {
    static func with<T: Sendable>(
        _ behavior: FakeBehavior,
        _ body: @Sendable (_ port: Int, _ log: FakeServerLog) async throws -> T
    ) async throws -> T {
        let log = FakeServerLog()
        let counter = Mutex(0)
        let router = Router()
        router.get("/v1/models") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"object":"list","data":[{"id":"fake-moe","object":"model"}]}"#))
            )
        }
        // A toy tokenizer whose decode is not the inverse of its encode, as real ones are not for
        // random ids: id i reads as the word `t<i>`, ids from 900 on (its "special" tokens) decode
        // to nothing, and text encodes one id per word.
        router.post("/detokenize") { request, _ -> Response in
            let json = (try? JSONSerialization.jsonObject(with: Data(buffer: try await request.body.collect(upTo: 1 << 20)))) as? [String: Any]
            let words = (json?["tokens"] as? [Int] ?? []).filter { $0 < 900 }.map { "t\($0)" }
            let body = try JSONSerialization.data(withJSONObject: ["prompt": words.joined(separator: " ")])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: body)))
        }
        router.post("/tokenize") { request, _ -> Response in
            let json = (try? JSONSerialization.jsonObject(with: Data(buffer: try await request.body.collect(upTo: 1 << 20)))) as? [String: Any]
            let ids = (json?["prompt"] as? String ?? "").split(separator: " ").compactMap { Int($0.dropFirst()) }
            let body = try JSONSerialization.data(withJSONObject: ["tokens": ids, "count": ids.count] as [String: Any])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: body)))
        }
        router.post("/v1/completions") { request, _ -> Response in
            let raw = try await request.body.collect(upTo: 1 << 20)
            let data = Data(buffer: raw)
            log.append(data)
            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
            let maxTokens = json["max_tokens"] as? Int ?? 16
            let stream = json["stream"] as? Bool ?? false
            let promptTokens = (json["prompt"] as? [Any])?.count ?? 1
            let n = counter.withLock { v in v += 1; return v }
            switch behavior {
            case .status(let code):
                return Response(
                    status: .init(code: code), headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"message":"fake failure","type":"server_error"}}"#))
                )
            case .hang(let hold):
                try? await Task.sleep(for: hold)
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "late")))
            case .malformed:
                return sse { writer in
                    try await writer.write(ByteBuffer(string: "data: {this is not json\n\n"))
                }
            case .truncated:
                return sse { writer in
                    try await writer.write(ByteBuffer(string: chunk("a", nil) + chunk("b", nil)))
                }
            case .stream, .stallFirst:
                let (delay, usage, firstDelay): (Duration, Bool, Duration) = switch behavior {
                case .stream(let d, let u): (d, u, .zero)
                case .stallFirst(let stall): (.zero, true, n == 1 ? stall : .zero)
                default: (.zero, true, .zero)
                }
                guard stream else {
                    try? await Task.sleep(for: firstDelay + delay * maxTokens)
                    let text = String(repeating: "x", count: maxTokens)
                    let body = #"{"id":"c","object":"text_completion","choices":[{"index":0,"text":"\#(text)","finish_reason":"length"}],"usage":{"prompt_tokens":\#(promptTokens),"completion_tokens":\#(maxTokens),"total_tokens":\#(promptTokens + maxTokens)}}"#
                    return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
                }
                return sse { writer in
                    if firstDelay > .zero { try? await Task.sleep(for: firstDelay) }
                    for i in 0..<maxTokens {
                        if delay > .zero { try? await Task.sleep(for: delay) }
                        try await writer.write(ByteBuffer(string: chunk("t", i == maxTokens - 1 ? "length" : nil)))
                    }
                    if usage {
                        try await writer.write(ByteBuffer(string: #"data: {"id":"c","object":"text_completion","choices":[],"usage":{"prompt_tokens":\#(promptTokens),"completion_tokens":\#(maxTokens),"total_tokens":\#(promptTokens + maxTokens)}}"# + "\n\n"))
                    }
                    try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                }
            }
        }
        var logger = Logger(label: "fake-openai")
        logger.logLevel = .warning
        let (ports, portSink) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portSink.yield(channel.localAddress?.port ?? 0)
                portSink.finish()
            },
            logger: logger
        )
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await app.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else {
                group.cancelAll()
                throw FakeServerError.noPort
            }
            let result = try await body(port, log)
            group.cancelAll()
            return result
        }
    }

    enum FakeServerError: Error { case noPort }

    static func chunk(_ text: String, _ finish: String?) -> String {
        let reason = finish.map { "\"\($0)\"" } ?? "null"
        return #"data: {"id":"c","object":"text_completion","created":0,"model":"fake-moe","choices":[{"index":0,"text":"\#(text)","logprobs":null,"finish_reason":\#(reason)}],"usage":null}"# + "\n\n"
    }

    static func sse(_ write: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                try await write(&writer)
                try await writer.finish(nil)
            }
        )
    }
}
