/// The parts of an OpenAI completion (or streamed completion chunk) the benchmark reads.
struct CompletionChunk: Decodable {
    struct Choice: Decodable {
        /// The completion's text, or a chat choice's `delta.content` / `message.content`.
        var text: String?
        var tokenIDs: [Int]?
        var finishReason: String?

        struct Content: Decodable { var content: String? }

        enum CodingKeys: String, CodingKey {
            case text, delta, message
            case tokenIDs = "token_ids"
            case finishReason = "finish_reason"
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            tokenIDs = try c.decodeIfPresent([Int].self, forKey: .tokenIDs)
            finishReason = try c.decodeIfPresent(String.self, forKey: .finishReason)
            text = try c.decodeIfPresent(String.self, forKey: .text)
                ?? (try? c.decodeIfPresent(Content.self, forKey: .delta))?.content
                ?? (try? c.decodeIfPresent(Content.self, forKey: .message))?.content
        }
    }

    struct Usage: Decodable {
        var promptTokens: Int?
        var completionTokens: Int?

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case completionTokens = "completion_tokens"
        }
    }

    /// `error` as OpenAI sends it (`{"message": ..}`) or as a bare string.
    struct ErrorField: Decodable {
        var message: String

        private enum Keys: String, CodingKey { case message }

        init(from decoder: any Decoder) throws {
            if let object = try? decoder.container(keyedBy: Keys.self) {
                message = (try? object.decode(String.self, forKey: .message)) ?? "unknown error"
            } else {
                message = (try? decoder.singleValueContainer().decode(String.self)) ?? "unknown error"
            }
        }
    }

    var choices: [Choice]?
    var usage: Usage?
    var error: ErrorField?
}
