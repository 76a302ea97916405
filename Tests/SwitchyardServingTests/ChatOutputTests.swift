import Testing
@testable import SwitchyardServing

/// The pure parts of chat output: reasoning split, tool-call parsing, and the streaming gate.
@Suite("Chat output parsing")
struct ChatOutputTests {
    /// Feeds `text` in pieces of `size` characters and joins what comes out.
    static func split(_ text: String, startsInReasoning: Bool, size: Int) -> (reasoning: String, content: String) {
        var splitter = ChatReasoningSplitter(startsInReasoning: startsInReasoning)
        var reasoning = "", content = ""
        for piece in pieces(text, size: size) {
            let out = splitter.feed(piece)
            reasoning += out.reasoning
            content += out.content
        }
        let out = splitter.finish()
        return (reasoning + out.reasoning, content + out.content)
    }

    static func pieces(_ text: String, size: Int) -> [String] {
        var result: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            result.append(String(rest.prefix(size)))
            rest = rest.dropFirst(size)
        }
        return result
    }

    @Test(arguments: [1, 2, 3, 7, 1000])
    func reasoningIsSplitWhateverTheDeltas(size: Int) {
        let cases: [(String, Bool, String, String)] = [
            ("<think>\nThe user greets.\n</think>\n\nHello!", false, "The user greets.", "Hello!"),
            ("  <think>a < b</think>answer", false, "a < b", "answer"),
            ("Plain answer <think> not at start", false, "", "Plain answer <think> not at start"),
            ("Reasoning in the prompt's block.\n</think>\n\nDone.", true, "Reasoning in the prompt's block.", "Done."),
            ("<think>cut off by max_tokens", false, "cut off by max_tokens", ""),
            ("<thin", false, "", "<thin"),
            ("<think>\n\n</think>\n\nEmpty thought", false, "", "Empty thought"),
            ("line one\n\nline two</think>x", true, "line one\n\nline two", "x"),
        ]
        for (output, startsInside, reasoning, content) in cases {
            let result = Self.split(output, startsInReasoning: startsInside, size: size)
            #expect(result.reasoning == reasoning, "\(output.debugDescription) in pieces of \(size)")
            #expect(result.content == content, "\(output.debugDescription) in pieces of \(size)")
        }
    }

    @Test func promptThatOpensAThinkBlockStartsInReasoning() {
        #expect(ChatReasoningSplitter.startsInReasoning(prompt: "<|Assistant|><think>\n"))
        #expect(!ChatReasoningSplitter.startsInReasoning(prompt: "<|im_start|>assistant\n<think>\n\n</think>\n\n"))
        #expect(!ChatReasoningSplitter.startsInReasoning(prompt: "<|im_start|>assistant\n"))
    }

    @Test func hermesToolCalls() throws {
        let text = "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 2}}\n</tool_call>\n<tool_call>\n{\"name\": \"now\", \"arguments\": {}}\n</tool_call>"
        let result = try #require(ChatToolCallParser.parse(text))
        #expect(result.format == .hermes)
        #expect(result.content == "Let me check.\n")
        #expect(result.calls == [ParsedToolCall(name: "get_weather", arguments: "{\"city\": \"Paris\", \"days\": 2}"),
                                 ParsedToolCall(name: "now", arguments: "{}")])
        // The last block may be unclosed when the answer ended at EOS right after it.
        #expect(ChatToolCallParser.parse("<tool_call>{\"name\": \"f\", \"arguments\": {\"x\": 1}}")?.calls == [ParsedToolCall(name: "f", arguments: "{\"x\": 1}")])
        #expect(ChatToolCallParser.parse("<tool_call>{not json}</tool_call>") == nil)
    }

    @Test func mistralToolCalls() throws {
        let old = try #require(ChatToolCallParser.parse("[TOOL_CALLS] [{\"name\": \"add\", \"arguments\": {\"a\": 1, \"b\": 2}}]"))
        #expect(old.format == .mistral && old.content.isEmpty)
        #expect(old.calls == [ParsedToolCall(name: "add", arguments: "{\"a\": 1, \"b\": 2}")])
        let new = try #require(ChatToolCallParser.parse("[TOOL_CALLS]add[ARGS]{\"a\": 1}[TOOL_CALLS]neg[ARGS]{\"x\": \"é\"}"))
        #expect(new.calls == [ParsedToolCall(name: "add", arguments: "{\"a\": 1}"), ParsedToolCall(name: "neg", arguments: "{\"x\": \"é\"}")])
        #expect(ChatToolCallParser.parse("[TOOL_CALLS] [{\"oops\": 1}]") == nil)
        #expect(ChatToolCallParser.parse("[TOOL_CALLS]") == nil)
    }

    @Test func llamaJSONToolCalls() throws {
        let one = try #require(ChatToolCallParser.parse(" {\"name\": \"search\", \"parameters\": {\"q\": \"swift; jinja\"}}"))
        #expect(one.format == .llamaJSON && one.calls == [ParsedToolCall(name: "search", arguments: "{\"q\": \"swift; jinja\"}")])
        let tagged = try #require(ChatToolCallParser.parse("<|python_tag|>{\"name\": \"a\", \"parameters\": {}}; {\"name\": \"b\", \"arguments\": {\"k\": [1, 2]}}"))
        #expect(tagged.calls == [ParsedToolCall(name: "a", arguments: "{}"), ParsedToolCall(name: "b", arguments: "{\"k\": [1, 2]}")])
        #expect(ChatToolCallParser.parse("{\"answer\": 42}") == nil)
        #expect(ChatToolCallParser.parse("Just text.") == nil)
    }

    /// Content the gate releases while streaming, plus what it releases at the end.
    static func gated(_ text: String, size: Int) -> (streamed: String, calls: [ParsedToolCall]) {
        var gate = ChatToolCallGate()
        var streamed = ""
        for piece in pieces(text, size: size) { streamed += gate.feed(piece) }
        let end = gate.finish()
        return (streamed + end.content, end.calls)
    }

    @Test(arguments: [1, 4, 1000])
    func gateHoldsToolCallsAndReleasesEverythingElse(size: Int) {
        let call = "<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>"
        let withCall = Self.gated("Sure.\n" + call, size: size)
        #expect(withCall.streamed == "Sure.\n" && withCall.calls == [ParsedToolCall(name: "f", arguments: "{}")])
        let json = Self.gated("\n{\"name\": \"g\", \"parameters\": {\"x\": 1}}", size: size)
        #expect(json.streamed.isEmpty && json.calls.map(\.name) == ["g"])
        for plain in ["No tools needed, <tool not a call.", "  {\"not\": \"a call\"}", "<tool_call>{broken", "a [TOOL_CALLS] b"] {
            let result = Self.gated(plain, size: size)
            #expect(result.streamed == plain && result.calls.isEmpty, "\(plain.debugDescription)")
        }
    }
}
