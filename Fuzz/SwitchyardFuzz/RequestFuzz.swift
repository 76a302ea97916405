import SwitchyardServing
import SwitchyardTokenizer

/// The request JSON parser: the input is a body for `POST /v1/completions` (first byte even) or
/// `POST /v1/chat/completions` (odd). A body is either a request or a 4xx error whose message is
/// for people (no Swift type names or decoder internals). A parsed chat request is rendered with
/// a ChatML template, as the endpoint would.
enum RequestFuzz {
    static let chatML = try! ChatTemplate(source: """
        {%- for message in messages %}<|im_start|>{{ message.role }}
        {{ message.content }}<|im_end|>
        {% endfor %}{%- if add_generation_prompt %}<|im_start|>assistant
        {% endif %}
        """)

    static func run(_ data: [UInt8]) {
        guard let selector = data.first else { return }
        let body = Array(data.dropFirst())
        do {
            if selector & 1 == 0 {
                _ = try CompletionRequest.parse(body)
            } else {
                let chat = try ChatRequest.parse(body)
                _ = try? chatML.render(messages: chat.messages, tools: chat.tools, addGenerationPrompt: chat.addGenerationPrompt,
                                       extra: chat.templateVariables)
            }
        } catch {
            check(error)
        }
    }

    /// Words that only a Swift programmer could read.
    static let internals = ["DecodingError", "Swift.", "Dictionary<", "Optional(", "CodingKeys", "typeMismatch", "dataCorrupted"]

    static func check(_ error: OpenAIError) {
        fuzzCheck((400 ..< 500).contains(error.status.code), "a bad body answered \(error.status.code)")
        fuzzCheck(!error.message.isEmpty, "an error without a message")
        for word in internals {
            fuzzCheck(!error.message.contains(word), "an error message shows internals (\(word)): \(error.message)")
        }
    }
}
