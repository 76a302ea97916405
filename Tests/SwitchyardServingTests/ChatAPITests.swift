import Foundation
import TestSupport
import Testing
import SwitchyardModel
import SwitchyardTokenizer
@testable import SwitchyardServing

/// ChatML with tools in a system turn, and an optional empty think block (`enable_thinking`).
enum TestTemplates {
    static let chatML = """
        {%- if tools %}<|im_start|>system
        Tools: {{ tools | tojson }}<|im_end|>
        {% endif %}{%- for message in messages %}<|im_start|>{{ message.role }}
        {{ message.content }}<|im_end|>
        {% endfor %}{%- if add_generation_prompt %}<|im_start|>assistant
        {% endif %}
        """
    static let thinking = chatML.replacingOccurrences(of: "<|im_start|>assistant\n{% endif %}", with: """
        <|im_start|>assistant
        {% if enable_thinking is defined and not enable_thinking %}<think>

        </think>

        {% endif %}{% endif %}
        """)
    static let strict = "{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{{ m.content }}{% endfor %}"

    static func set(_ source: String) throws -> ChatTemplateSet {
        try ChatTemplateSet(source: source, bosToken: "<s>", eosToken: "</s>", origin: "test")
    }
}

/// A tokenizer whose i-th generated token reads as `script[i]`, so API tests can make the random
/// tiny model "say" tool calls or reasoning. It relies on the detokenizer handing `text(of:)` slices
/// of the ids generated so far indexed from 0 (true below its 256-token window).
struct ScriptedTokenizer: ServingTokenizer {
    let script: [String]

    func encode(_ text: String, addSpecialTokens: Bool) throws -> [Int32] { text.utf8.map { Int32($0) + 3 } }
    func text(of tokens: ArraySlice<Int32>) -> String {
        tokens.indices.map { $0 < script.count ? script[$0] : "" }.joined()
    }
    func tokenName(_ token: Int32) -> String { "t\(token)" }
}

extension ServingHarness {
    func chat(_ object: [String: Any]) async throws -> TestHTTPClient.Response {
        try await send("POST", "/v1/chat/completions", json: object)
    }
}

/// The chunks of an SSE answer, without the closing `[DONE]`.
func chunks(_ response: TestHTTPClient.Response) throws -> [[String: Any]] {
    #expect(response.status == 200, "\(response.text)")
    #expect(response.events.last == "[DONE]")
    return try response.events.dropLast().map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
}

@Suite("OpenAI chat completions API", .serialized)
struct ChatAPITests {
    let tokenizer = TinyModel.tokenizer
    let hello: [[String: Any]] = [["role": "system", "content": "You are terse."], ["role": "user", "content": "Hello, how are you?"]]

    func message(_ response: TestHTTPClient.Response) throws -> (choice: [String: Any], message: [String: Any]) {
        #expect(response.status == 200, "\(response.text)")
        let choice = try #require((try response.json()["choices"] as? [[String: Any]])?.first)
        return (choice, try #require(choice["message"] as? [String: Any]))
    }

    @Test func nonStreamedAnswerIsTheCompletionOfTheRenderedPrompt() async throws {
        let server = try await ServingHarness.start(tokenizer: tokenizer, chatTemplates: try TestTemplates.set(TestTemplates.chatML))
        let response = try await server.chat(["model": "tiny", "messages": hello, "max_tokens": 8, "temperature": 0, "ignore_eos": true])
        let (choice, message) = try message(response)
        let body = try response.json()
        #expect(body["object"] as? String == "chat.completion")
        #expect((body["id"] as? String)?.hasPrefix("chatcmpl-") == true)
        #expect((body["system_fingerprint"] as? String)?.hasPrefix("fp_") == true)
        #expect(message["role"] as? String == "assistant")
        #expect(choice["finish_reason"] as? String == "length")
        #expect((message["tool_calls"] as? [Any])?.isEmpty == true)
        #expect(message["reasoning_content"] == nil)

        let rendered = "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHello, how are you?<|im_end|>\n<|im_start|>assistant\n"
        let usage = try #require(body["usage"] as? [String: Int])
        #expect(usage["prompt_tokens"] == tokenizer.encode(rendered).count && usage["completion_tokens"] == 8)
        // The same greedy text as /v1/completions on the rendered prompt.
        let completion = try await server.post(["prompt": rendered, "add_special_tokens": false, "max_tokens": 8, "temperature": 0, "ignore_eos": true])
        let text = try #require((try completion.json()["choices"] as? [[String: Any]])?.first?["text"] as? String)
        #expect(message["content"] as? String == text)

        // Content parts of type text are joined; max_completion_tokens wins over max_tokens.
        let parts: [[String: Any]] = [["role": "system", "content": [["type": "text", "text": "You are terse."]]],
                                      ["role": "user", "content": [["type": "text", "text": "Hello,"], ["type": "text", "text": "how are you?"]]]]
        let withParts = try await server.chat(["messages": parts, "max_completion_tokens": 3, "max_tokens": 9, "temperature": 0, "ignore_eos": true])
        let partsUsage = try #require(try withParts.json()["usage"] as? [String: Int])
        #expect(partsUsage["prompt_tokens"] == tokenizer.encode(rendered.replacingOccurrences(of: "Hello, how", with: "Hello,\nhow")).count)
        #expect(partsUsage["completion_tokens"] == 3)
        await server.stop()
    }

    @Test func streamedAnswerEqualsNonStreamed() async throws {
        let server = try await ServingHarness.start(tokenizer: tokenizer, chatTemplates: try TestTemplates.set(TestTemplates.chatML))
        let request: [String: Any] = ["messages": hello, "max_tokens": 12, "temperature": 0, "ignore_eos": true]
        let full = try #require(try message(try await server.chat(request)).message["content"] as? String)
        var streamed = request
        streamed["stream"] = true
        streamed["stream_options"] = ["include_usage": true]
        let events = try chunks(try await server.chat(streamed))
        #expect(events.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
        #expect(Set(events.compactMap { $0["id"] as? String }).count == 1)
        let deltas = events.compactMap { ($0["choices"] as? [[String: Any]])?.first }
        #expect((deltas.first?["delta"] as? [String: Any])?["role"] as? String == "assistant")
        let text = deltas.compactMap { ($0["delta"] as? [String: Any])?["content"] as? String }.joined()
        #expect(text == full)
        #expect(deltas.last?["finish_reason"] as? String == "length")
        #expect(deltas.dropLast().allSatisfy { $0["finish_reason"] is NSNull })
        let usage = try #require(events.last?["usage"] as? [String: Int])
        #expect(usage["completion_tokens"] == 12 && (events.last?["choices"] as? [Any])?.isEmpty == true)
        await server.stop()
    }

    @Test func logprobsInTheChatShape() async throws {
        let server = try await ServingHarness.start(tokenizer: tokenizer, chatTemplates: try TestTemplates.set(TestTemplates.chatML))
        let response = try await server.chat(["messages": hello, "max_tokens": 4, "temperature": 0, "ignore_eos": true,
                                              "logprobs": true, "top_logprobs": 2])
        let (choice, _) = try message(response)
        let content = try #require((choice["logprobs"] as? [String: Any])?["content"] as? [[String: Any]])
        #expect(content.count == 4)
        for entry in content {
            #expect(entry["token"] is String && (entry["logprob"] as? Double ?? 1) <= 0 && entry["bytes"] is [Int])
            let top = try #require(entry["top_logprobs"] as? [[String: Any]])
            #expect(top.count == 2 && top.allSatisfy { $0["token"] is String && $0["bytes"] is [Int] })
            // Greedy: the chosen token is the most likely one.
            #expect(top.first?["token"] as? String == entry["token"] as? String)
        }
        await server.stop()
    }

    @Test func toolsReachTheTemplateAndCallsAreParsed() async throws {
        let script = ["Let", " me", " check", ".\n", "<tool_", "call>", "{\"name\": ", "\"get_weather\", ",
                      "\"arguments\": {\"city\": \"Paris\"}}", "</tool_call>"]
        let server = try await ServingHarness.start(tokenizer: ScriptedTokenizer(script: script),
                                                    chatTemplates: try TestTemplates.set(TestTemplates.chatML))
        let tools: [[String: Any]] = [["type": "function", "function": ["name": "get_weather", "description": "Weather of a city",
                                                                         "parameters": ["type": "object", "properties": ["city": ["type": "string"]]]]]]
        let messages: [[String: Any]] = [["role": "user", "content": "Weather in Paris?"]]
        var request: [String: Any] = ["messages": messages, "tools": tools, "max_tokens": script.count, "temperature": 0, "ignore_eos": true]
        let response = try await server.chat(request)
        let (choice, message) = try message(response)
        #expect(choice["finish_reason"] as? String == "tool_calls")
        #expect(message["content"] as? String == "Let me check.\n")
        let calls = try #require(message["tool_calls"] as? [[String: Any]])
        #expect(calls.count == 1)
        #expect((calls.first?["id"] as? String)?.hasPrefix("call_") == true && calls.first?["type"] as? String == "function")
        let function = try #require(calls.first?["function"] as? [String: Any])
        #expect(function["name"] as? String == "get_weather" && function["arguments"] as? String == "{\"city\": \"Paris\"}")
        // The tools were rendered into the prompt (ScriptedTokenizer: one token per byte).
        let withoutTools = try await server.chat(["messages": messages, "max_tokens": 1])
        let promptTokens = try #require((try response.json()["usage"] as? [String: Int])?["prompt_tokens"])
        let plainTokens = try #require((try withoutTools.json()["usage"] as? [String: Int])?["prompt_tokens"])
        #expect(promptTokens > plainTokens + 100)

        // Streamed: the content before the call flows, the call comes at the end.
        request["stream"] = true
        let deltas = try chunks(try await server.chat(request)).compactMap { ($0["choices"] as? [[String: Any]])?.first }
        let text = deltas.compactMap { ($0["delta"] as? [String: Any])?["content"] as? String }.joined()
        #expect(text == "Let me check.\n")
        let streamedCalls = deltas.compactMap { ($0["delta"] as? [String: Any])?["tool_calls"] as? [[String: Any]] }.flatMap { $0 }
        #expect(streamedCalls.count == 1 && streamedCalls.first?["index"] as? Int == 0)
        #expect((streamedCalls.first?["function"] as? [String: Any])?["arguments"] as? String == "{\"city\": \"Paris\"}")
        #expect(deltas.last?["finish_reason"] as? String == "tool_calls")

        // tool_choice none: the same output is plain content.
        request["stream"] = false
        request["tool_choice"] = "none"
        let (noneChoice, noneMessage) = try self.message(try await server.chat(request))
        #expect(noneChoice["finish_reason"] as? String == "length" && (noneMessage["content"] as? String)?.contains("<tool_call>") == true)
        await server.stop()
    }

    @Test func assistantToolCallsAndToolResultsRenderInHistory() async throws {
        let template = "{% for m in messages %}{% if m.tool_calls %}{% for c in m.tool_calls %}CALL {{ c.function.name }} {{ c.function.arguments | tojson }}\n{% endfor %}{% else %}{{ m.role }}: {{ m.content }}\n{% endif %}{% endfor %}"
        let server = try await ServingHarness.start(tokenizer: ScriptedTokenizer(script: []), chatTemplates: try TestTemplates.set(template))
        let messages: [[String: Any]] = [
            ["role": "user", "content": "Weather?"],
            ["role": "assistant", "content": NSNull(), "tool_calls": [["id": "call_1", "type": "function",
                                                                         "function": ["name": "w", "arguments": "{\"city\": \"Oslo\"}"]]]],
            ["role": "tool", "tool_call_id": "call_1", "content": "12C"],
        ]
        let response = try await server.chat(["messages": messages, "max_tokens": 1, "add_generation_prompt": false])
        let expected = "user: Weather?\nCALL w {\"city\": \"Oslo\"}\ntool: 12C\n"
        #expect((try response.json()["usage"] as? [String: Int])?["prompt_tokens"] == expected.utf8.count, "\(response.text)")
        await server.stop()
    }

    @Test func reasoningIsSplitFromContent() async throws {
        let script = ["<think>", "\nThe user", " says hi.", "\n</think>", "\n\n", "Hello", "!"]
        let server = try await ServingHarness.start(tokenizer: ScriptedTokenizer(script: script),
                                                    chatTemplates: try TestTemplates.set(TestTemplates.thinking))
        var request: [String: Any] = ["messages": [["role": "user", "content": "hi"]], "max_tokens": script.count, "ignore_eos": true]
        let (_, message) = try message(try await server.chat(request))
        #expect(message["reasoning_content"] as? String == "The user says hi.")
        #expect(message["content"] as? String == "Hello!")

        request["stream"] = true
        let deltas = try chunks(try await server.chat(request)).compactMap { ($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any] }
        #expect(deltas.compactMap { $0["reasoning_content"] as? String }.joined() == "The user says hi.")
        #expect(deltas.compactMap { $0["content"] as? String }.joined() == "Hello!")

        // chat_template_kwargs reach the template: enable_thinking false adds the empty think block.
        let on = try await server.chat(["messages": [["role": "user", "content": "hi"]], "max_tokens": 1])
        let off = try await server.chat(["messages": [["role": "user", "content": "hi"]], "max_tokens": 1,
                                         "chat_template_kwargs": ["enable_thinking": false]])
        let onTokens = try #require((try on.json()["usage"] as? [String: Int])?["prompt_tokens"])
        let offTokens = try #require((try off.json()["usage"] as? [String: Int])?["prompt_tokens"])
        #expect(offTokens == onTokens + "<think>\n\n</think>\n\n".utf8.count)
        await server.stop()
    }

    @Test func stopStringsEndTheAnswer() async throws {
        let script = ["One", " two", " three", " four"]
        let server = try await ServingHarness.start(tokenizer: ScriptedTokenizer(script: script), chatTemplates: try TestTemplates.set(TestTemplates.chatML))
        let (choice, message) = try message(try await server.chat(["messages": hello, "max_tokens": 4, "ignore_eos": true, "stop": [" thr"]]))
        #expect(message["content"] as? String == "One two" && choice["finish_reason"] as? String == "stop")
        await server.stop()
    }

    @Test func modelWithoutATemplateAnswers400() async throws {
        let server = try await ServingHarness.start(tokenizer: tokenizer)
        let response = try await server.chat(["messages": hello, "max_tokens": 2])
        #expect(response.status == 400)
        let error = try #require(try response.json()["error"] as? [String: Any])
        #expect((error["message"] as? String)?.contains("no chat template") == true, "\(response.text)")
        #expect(error["type"] as? String == "invalid_request_error")
        // A template sent with the request serves instead (vLLM's `chat_template`).
        let (_, message) = try message(try await server.chat(["messages": hello, "max_tokens": 2, "chat_template": TestTemplates.chatML]))
        #expect(message["content"] is String)
        await server.stop()
    }

    @Test func modelWithoutATokenizerAnswers400() async throws {
        let server = try await ServingHarness.start(chatTemplates: try TestTemplates.set(TestTemplates.chatML))
        let response = try await server.chat(["messages": hello, "max_tokens": 2])
        #expect(response.status == 400 && response.text.contains("no tokenizer"), "\(response.text)")
        await server.stop()
    }

    /// The token ids of each choice's answer (the test tokenizer names token `i` as `t<i>`).
    func answerTokens(_ server: ServingHarness, _ body: [String: Any]) async throws -> [[String]] {
        var body = body
        body["logprobs"] = true
        let response = try await server.chat(body)
        #expect(response.status == 200, "\(response.text)")
        let choices = try #require(try response.json()["choices"] as? [[String: Any]])
        return choices.map { choice in
            ((choice["logprobs"] as? [String: Any])?["content"] as? [[String: Any]] ?? []).compactMap { $0["token"] as? String }
        }
    }

    @Test("n choices: each its own seed, streamed with their indices, usage counting the prompt once")
    func nChoices() async throws {
        let server = try await ServingHarness.start(tokenizer: tokenizer, chatTemplates: try TestTemplates.set(TestTemplates.chatML))
        let base: [String: Any] = ["messages": hello, "max_tokens": 6, "temperature": 1.5, "seed": 21, "ignore_eos": true]
        var withN = base
        withN["n"] = 3
        let response = try await server.chat(withN)
        let body = try response.json()
        let choices = try #require(body["choices"] as? [[String: Any]])
        #expect(choices.map { $0["index"] as? Int } == [0, 1, 2])
        let contents = choices.map { ($0["message"] as? [String: Any])?["content"] as? String ?? "" }
        #expect(Set(contents).count > 1, "three samples should not all agree: \(contents)")
        let usage = try #require(body["usage"] as? [String: Int])
        #expect(usage["completion_tokens"] == 18)
        let single = try #require(try message(try await server.chat(base)).message["content"] as? String)
        #expect(contents[0] == single, "choice 0 uses the request's seed")
        var second = base
        second["seed"] = 22
        #expect(contents[1] == (try message(try await server.chat(second)).message["content"] as? String))
        #expect(usage["prompt_tokens"] == (try await server.chat(base).json()["usage"] as? [String: Int])?["prompt_tokens"])

        var streamed = withN
        streamed["stream"] = true
        let events = try chunks(try await server.chat(streamed))
        var texts = ["", "", ""]
        var finishes: [Int: String] = [:]
        var roles = 0
        for event in events {
            for choice in event["choices"] as? [[String: Any]] ?? [] {
                let index = try #require(choice["index"] as? Int)
                let delta = choice["delta"] as? [String: Any] ?? [:]
                if delta["role"] as? String == "assistant" { roles += 1 }
                texts[index] += delta["content"] as? String ?? ""
                if let reason = choice["finish_reason"] as? String { finishes[index] = reason }
            }
        }
        #expect(roles == 3)
        #expect(texts == contents)
        #expect(finishes == [0: "length", 1: "length", 2: "length"])
        await server.stop()
    }

    @Test("penalties, logit_bias, min_p and min_tokens change chat answers as they change completions")
    func samplingParametersTakeEffect() async throws {
        // Token names `t<id>` in the logprobs show the ids the answer drew.
        let server = try await ServingHarness.start(tokenizer: ScriptedTokenizer(script: []), chatTemplates: try TestTemplates.set(TestTemplates.chatML))
        // The prompt on which the tiny model repeats itself greedily ([5, 6] x 4, as the completions
        // test uses): bytes 2 and 3 under this tokenizer, with a template that writes only the content.
        let repetitive: [[String: Any]] = [["role": "user", "content": String(repeating: "\u{02}\u{03}", count: 4)]]
        let greedy: [String: Any] = ["messages": repetitive, "max_tokens": 12, "temperature": 0, "ignore_eos": true,
                                     "chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}"]
        let plain = try #require(try await answerTokens(server, greedy).first)
        #expect(Set(plain).count < plain.count, "the tiny model repeats itself greedily: \(plain)")
        for (field, value) in [("repetition_penalty", 5.0), ("presence_penalty", 2.0), ("frequency_penalty", 2.0)] {
            var body = greedy
            body[field] = value
            let penalised = try #require(try await answerTokens(server, body).first)
            #expect(Set(penalised).count > Set(plain).count, "\(field) should make the answer less repetitive: \(penalised)")
        }
        var biased = greedy
        biased["logit_bias"] = ["77": 100]
        #expect(try await answerTokens(server, biased).first == Array(repeating: "t77", count: 12))

        var hot = greedy
        hot["max_tokens"] = 8
        hot["temperature"] = 5
        hot["seed"] = 4
        let sampled = try #require(try await answerTokens(server, hot).first)
        #expect(sampled != Array(plain.prefix(8)))
        var cut = hot
        cut["min_p"] = 1.0
        #expect(try await answerTokens(server, cut).first == Array(plain.prefix(8)))

        let firstID = try #require(Int(plain[0].dropFirst()))
        var stopped = greedy
        stopped["stop_token_ids"] = [firstID]
        stopped.removeValue(forKey: "ignore_eos")
        #expect(try await answerTokens(server, stopped).first == [plain[0]])
        stopped["min_tokens"] = 4
        let held = try #require(try await answerTokens(server, stopped).first)
        #expect(held.count >= 4 && !held.prefix(4).contains(plain[0]))
        await server.stop()
    }

    /// Each request answers 400 with `param` naming the field.
    static let badRequests: [(String, String)] = [
        (#"{"max_tokens": 2}"#, "messages"),
        (#"{"messages": []}"#, "messages"),
        (#"{"messages": "hi"}"#, "messages"),
        (#"{"messages": [{"content": "no role"}]}"#, "messages"),
        (#"{"messages": [{"role": "user", "content": 5}]}"#, "messages"),
        (#"{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}]}"#, "messages"),
        (#"{"messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]}"#, "messages"),
        (#"{"messages": [{"role": "system", "content": "x"}], "chat_template": "{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% endfor %}"}"#, "messages"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "chat_template": "{% if %}"}"#, "chat_template"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "n": 0}"#, "n"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "n": 129}"#, "n"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "best_of": 2}"#, "best_of"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "json_object"}}"#, "response_format"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}}"#, "response_format"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "presence_penalty": 2.5}"#, "presence_penalty"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "frequency_penalty": -3}"#, "frequency_penalty"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "logit_bias": {"five": 10}}"#, "logit_bias"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "logit_bias": {"99999": 10}}"#, "logit_bias"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "logit_bias": {"5": 101}}"#, "logit_bias"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "min_p": 1.5}"#, "min_p"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "repetition_penalty": 0}"#, "repetition_penalty"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "min_tokens": 3, "max_tokens": 2}"#, "min_tokens"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "functions": [{"name": "f"}]}"#, "functions"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "audio": {"voice": "alloy"}}"#, "audio"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "modalities": ["text", "audio"]}"#, "modalities"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "guided_json": {}}"#, "guided_json"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "required"}"#, "tool_choice"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": {"type": "function", "function": {"name": "f"}}}"#, "tool_choice"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "retrieval"}]}"#, "tools"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "function": {}}]}"#, "tools"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "top_logprobs": 3}"#, "top_logprobs"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "logprobs": true, "top_logprobs": 21}"#, "top_logprobs"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "temperature": "hot"}"#, "temperature"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}"#, "max_tokens"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 100000000}"#, "max_tokens"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "stream_options": {"include_usage": true}}"#, "stream_options"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "chat_template_kwargs": [1]}"#, "chat_template_kwargs"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "continue_final_message": true}"#, "continue_final_message"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "reasoning_effort": "max"}"#, "reasoning_effort"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "stop": [1]}"#, "stop"),
    ]

    @Test func everyUnsupportedOrInvalidFieldAnswers400NamingIt() async throws {
        let server = try await ServingHarness.start(tokenizer: tokenizer, chatTemplates: try TestTemplates.set(TestTemplates.chatML))
        for (body, param) in Self.badRequests {
            let response = try await server.postRaw(body, path: "/v1/chat/completions")
            #expect(response.status == 400, "\(body) -> \(response.status) \(response.text)")
            let error = try #require(try response.json()["error"] as? [String: Any], "\(body)")
            #expect(error["param"] as? String == param, "\(body) -> \(response.text)")
            #expect((error["message"] as? String)?.isEmpty == false)
        }
        // Not JSON, an unknown model, and the "off" values of unsupported fields.
        let notJSON = try await server.postRaw("{messages", path: "/v1/chat/completions")
        #expect(notJSON.status == 400)
        let unknownModel = try await server.chat(["model": "gpt-4o", "messages": hello])
        #expect(unknownModel.status == 404)
        let offValues = try await server.chat(["messages": hello, "max_tokens": 1, "n": 1, "presence_penalty": 0, "frequency_penalty": 0,
                                               "logit_bias": [String: Any](), "min_p": 0, "repetition_penalty": 1, "min_tokens": 0, "response_format": ["type": "text"], "user": "u1",
                                               "parallel_tool_calls": true, "tool_choice": "auto", "seed": 3, "top_p": 0.9,
                                               "modalities": ["text"]])
        #expect(offValues.status == 200, "\(offValues.text)")
        await server.stop()
    }
}
