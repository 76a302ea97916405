import Foundation

/// What the server says about its vocabulary: its size (random prompt ids stay below it) and
/// whether it has a tokenizer (then prompts go as text, as vLLM's random dataset sends them).
public struct ServerVocabulary: Sendable, Equatable {
    public var vocabSize: Int
    public var hasTokenizer: Bool

    public init(vocabSize: Int, hasTokenizer: Bool) {
        self.vocabSize = vocabSize
        self.hasTokenizer = hasTokenizer
    }

    private struct TokenizerInfo: Decodable {
        var vocabSize: Int?
        enum CodingKeys: String, CodingKey { case vocabSize = "vocab_size" }
    }

    private struct ModelList: Decodable {
        struct Model: Decodable {
            var vocabSize: Int?
            enum CodingKeys: String, CodingKey { case vocabSize = "vocab_size" }
        }
        var data: [Model]
    }

    private struct Detokenized: Decodable { var prompt: String }
    private struct Tokenized: Decodable { var tokens: [Int] }

    /// Most re-encode rounds spent bringing a text prompt to its token length.
    static let adjustRounds = 10

    /// Asks `GET /tokenizer_info` (vLLM, Switchyard), then `GET /v1/models` (`vocab_size`, as
    /// Switchyard lists it); nil when neither says.
    public static func lookup(client: BenchHTTPClient, timeouts: HTTPTimeouts) async -> ServerVocabulary? {
        if let body = try? await fetch(client, HTTPRequestSpec(method: .GET, path: client.url.path("/tokenizer_info")), timeouts),
           let info = try? JSONDecoder().decode(TokenizerInfo.self, from: Data(body)), let size = info.vocabSize, size > 0 {
            return ServerVocabulary(vocabSize: size, hasTokenizer: true)
        }
        if let body = try? await fetch(client, HTTPRequestSpec(method: .GET, path: client.url.path("/v1/models")), timeouts),
           let list = try? JSONDecoder().decode(ModelList.self, from: Data(body)), let size = list.data.first?.vocabSize, size > 0 {
            return ServerVocabulary(vocabSize: size, hasTokenizer: false)
        }
        return nil
    }

    /// Turns token-id prompts into text with the server's `POST /detokenize`, as vLLM's random
    /// dataset decodes random ids with the model's tokenizer. Random ids rarely decode to text that
    /// encodes back to as many tokens, so, as vLLM does, the text is re-encoded (`POST /tokenize`)
    /// and cut or extended with more random ids below `vocabSize` until the server counts the
    /// target length (at most `adjustRounds` rounds; a server without `/tokenize` keeps the first
    /// text). Throws when the server cannot detokenize.
    public static func textPrompts(_ prompts: [BenchPrompt], vocabSize: Int, seed: UInt64, client: BenchHTTPClient,
                                   timeouts: HTTPTimeouts) async throws -> [BenchPrompt] {
        var random = SeededRandom(seed: seed ^ 0x7465_7874)
        var result: [BenchPrompt] = []
        result.reserveCapacity(prompts.count)
        var canTokenize = true
        for prompt in prompts {
            guard case .tokenIDs(let original) = prompt.content else {
                result.append(prompt)
                continue
            }
            var ids = original
            var text = try await detokenize(ids, client: client, timeouts: timeouts)
            for _ in 0 ..< adjustRounds where canTokenize {
                guard let encoded = try? await tokenize(text, client: client, timeouts: timeouts) else {
                    canTokenize = false
                    break
                }
                if encoded.count == original.count { break }
                ids = encoded.count > original.count
                    ? Array(encoded.prefix(original.count))
                    : encoded + (encoded.count ..< original.count).map { _ in Int(random.next() % UInt64(max(1, vocabSize))) }
                text = try await detokenize(ids, client: client, timeouts: timeouts)
            }
            result.append(BenchPrompt(content: .text(text), outputTokens: prompt.outputTokens))
        }
        return result
    }

    static func detokenize(_ ids: [Int], client: BenchHTTPClient, timeouts: HTTPTimeouts) async throws -> String {
        let body = try JSONSerialization.data(withJSONObject: ["tokens": ids])
        let answer = try await fetch(client, HTTPRequestSpec(method: .POST, path: client.url.path("/detokenize"), body: Array(body)), timeouts)
        guard let text = try? JSONDecoder().decode(Detokenized.self, from: Data(answer)).prompt else {
            throw BenchInputError("POST /detokenize did not answer {\"prompt\": text}")
        }
        return text
    }

    /// The ids the server's tokenizer gives `text` without special tokens (vLLM's `/tokenize`).
    static func tokenize(_ text: String, client: BenchHTTPClient, timeouts: HTTPTimeouts) async throws -> [Int] {
        let body = try JSONSerialization.data(withJSONObject: ["prompt": text, "add_special_tokens": false] as [String: Any])
        let answer = try await fetch(client, HTTPRequestSpec(method: .POST, path: client.url.path("/tokenize"), body: Array(body)), timeouts)
        guard let tokens = try? JSONDecoder().decode(Tokenized.self, from: Data(answer)).tokens else {
            throw BenchInputError("POST /tokenize did not answer {\"tokens\": [...]}")
        }
        return tokens
    }

    /// Attempts per request while preparing prompts: these requests only read the server's
    /// tokenizer, so one the server dropped (connection closed or refused before an answer) is
    /// sent again rather than ending the whole run before it starts.
    static let fetchAttempts = 3

    /// The body of a 200 answer; throws otherwise (after `fetchAttempts` tries on a lost connection).
    static func fetch(_ client: BenchHTTPClient, _ spec: HTTPRequestSpec, _ timeouts: HTTPTimeouts) async throws -> [UInt8] {
        var attempt = 1
        while true {
            do {
                return try await fetchOnce(client, spec, timeouts)
            } catch let error as HTTPClientError {
                switch error {
                case .connectionLost, .connect:
                    guard attempt < fetchAttempts else { throw error }
                    attempt += 1
                    try await Task.sleep(for: .milliseconds(50 * attempt))
                case .totalTimeout, .readTimeout, .invalidResponse:
                    throw error
                }
            }
        }
    }

    private static func fetchOnce(_ client: BenchHTTPClient, _ spec: HTTPRequestSpec, _ timeouts: HTTPTimeouts) async throws -> [UInt8] {
        var status = 0
        var body: [UInt8] = []
        try await client.execute(spec, timeouts: timeouts) { event in
            switch event {
            case .head(let code, _): status = code
            case .body(let buffer, _):
                guard body.count + buffer.readableBytes <= 1 << 20 else { throw BenchInputError("\(spec.path) answered more than 1 MiB") }
                body.append(contentsOf: buffer.readableBytesView)
            case .end: break
            }
        }
        guard status == 200 else { throw BenchInputError("\(spec.method) \(spec.path) answered HTTP \(status)") }
        return body
    }
}
