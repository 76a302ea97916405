import Foundation
import Testing
@testable import SwitchyardBench

/// `--endpoint chat`: the request body and the chat shapes of streamed and whole answers.
@Suite("Bench chat endpoint")
struct ChatEndpointTests {
    func body(_ prompt: PromptContent, _ endpoint: BenchEndpoint) throws -> [String: Any] {
        let bytes = CompletionRequestBody(model: "m", prompt: prompt, maxTokens: 3, temperature: 0, stream: true, ignoreEOS: true,
                                          endpoint: endpoint).bytes()
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func chatSendsTheMessageAndCompletionsThePrompt() throws {
        let chat = try body(.text("hello"), .chat)
        #expect(chat["prompt"] == nil)
        #expect((chat["messages"] as? [[String: String]]) == [["role": "user", "content": "hello"]])
        #expect(chat["max_tokens"] as? Int == 3 && chat["ignore_eos"] as? Bool == true)
        let ids = try body(.tokenIDs([5, 6]), .chat)
        #expect((ids["messages"] as? [[String: String]])?.first?["content"] == "5 6")
        let completion = try body(.text("hello"), .completions)
        #expect(completion["prompt"] as? String == "hello" && completion["messages"] == nil)
        #expect(BenchEndpoint.chat.path == "/v1/chat/completions" && BenchEndpoint.completions.path == "/v1/completions")
    }

    @Test func chatDeltasAndMessagesAreRead() throws {
        var streamed = CompletionStreamAccumulator(keepText: true)
        for (time, content) in [(0.1, "He"), (0.2, "llo")] {
            try streamed.consume(SSEEvent(data: #"{"choices":[{"index":0,"delta":{"content":"\#(content)"},"finish_reason":null}]}"#), at: time)
        }
        try streamed.consume(SSEEvent(data: #"{"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}"#), at: 0.3)
        try streamed.consume(SSEEvent(data: "[DONE]"), at: 0.3)
        try streamed.validateComplete()
        #expect(streamed.text == "Hello" && streamed.outputTokens == 2 && streamed.finishReason == "length")

        var whole = CompletionStreamAccumulator(keepText: true)
        try whole.consumeBody(Array(#"{"choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":2,"completion_tokens":1}}"#.utf8), at: 0.5)
        #expect(whole.text == "Hi" && whole.outputTokens == 1)
    }
}
