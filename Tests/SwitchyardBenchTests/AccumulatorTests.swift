import Testing
@testable import SwitchyardBench

@Suite("Completion stream accumulator")
struct AccumulatorTests {
    static func chunk(_ text: String, finish: String? = nil, ids: [Int]? = nil) -> SSEEvent {
        let idsPart = ids.map { ",\"token_ids\":\($0)" } ?? ""
        let reason = finish.map { "\"\($0)\"" } ?? "null"
        return SSEEvent(data: "{\"id\":\"c\",\"object\":\"text_completion\",\"choices\":[{\"index\":0,\"text\":\"\(text)\"\(idsPart),\"finish_reason\":\(reason)}],\"usage\":null}")
    }

    @Test("token times, gaps and the usage count")
    func tokensAndUsage() throws {
        var acc = CompletionStreamAccumulator(keepText: true)
        try acc.consume(Self.chunk("a"), at: 1.0)
        try acc.consume(Self.chunk("b"), at: 1.5)
        try acc.consume(Self.chunk("c", finish: "length"), at: 2.5)
        try acc.consume(SSEEvent(data: #"{"id":"c","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":3}}"#), at: 2.6)
        try acc.consume(SSEEvent(data: "[DONE]"), at: 2.7)
        try acc.validateComplete()
        #expect(acc.firstTokenTime == 1.0)
        #expect(acc.interTokenGaps == [0.5, 1.0])
        #expect(acc.outputTokens == 3)
        #expect(acc.usagePromptTokens == 4)
        #expect(acc.text == "abc")
        #expect(acc.finishReason == "length")
    }

    @Test("without usage, chunks are counted (token_ids when present); an empty finish chunk is no token")
    func countsChunks() throws {
        var acc = CompletionStreamAccumulator()
        try acc.consume(Self.chunk("a"), at: 0.1)
        try acc.consume(Self.chunk("bc", ids: [5, 6]), at: 0.2)
        try acc.consume(Self.chunk("", finish: "length"), at: 0.3)
        try acc.consume(SSEEvent(data: "[DONE]"), at: 0.3)
        try acc.validateComplete()
        #expect(acc.outputTokens == 3)
        #expect(acc.interTokenGaps.count == 1)
    }

    @Test("bad JSON, error events and foreign JSON are malformed streams", arguments: [
        "{not json", #"{"error":{"message":"out of memory"}}"#, #"{"hello":"world"}"#,
    ])
    func malformed(data: String) {
        var acc = CompletionStreamAccumulator()
        #expect(throws: RequestFailure.self) { try acc.consume(SSEEvent(data: data), at: 0) }
        do {
            try acc.consume(SSEEvent(data: data), at: 0)
        } catch {
            #expect(error.kind == .malformedStream)
        }
    }

    @Test("a stream that stops before finish_reason or [DONE] is incomplete")
    func incomplete() throws {
        var acc = CompletionStreamAccumulator()
        try acc.consume(Self.chunk("a"), at: 0)
        #expect(throws: RequestFailure(.malformedStream, "stream ended after 1 chunks without finish_reason or [DONE]")) {
            try acc.validateComplete()
        }
        #expect(throws: RequestFailure.self) { try CompletionStreamAccumulator().validateComplete() }
    }

    @Test("a non-streamed body gives text and usage")
    func body() throws {
        var acc = CompletionStreamAccumulator()
        try acc.consumeBody(Array(#"{"choices":[{"text":"hi","finish_reason":"length"}],"usage":{"prompt_tokens":2,"completion_tokens":5}}"#.utf8), at: 1)
        try acc.validateComplete()
        #expect(acc.outputTokens == 5)
    }
}
