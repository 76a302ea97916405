import Hummingbird
import NIOCore

/// Builds the answer of one chat request from its sequence's token stream.
struct ChatResponder: Sendable {
    let id: String
    let created: Int
    let model: String
    let systemFingerprint: String
    let request: ChatRequest
    let promptTokenCount: Int
    let builder: ChatChoiceBuilder

    func response(_ choices: [ChatChoice], object: String, usage: Usage?, nullUsage: Bool = true) -> ChatResponse {
        ChatResponse(id: id, object: object, created: created, model: model, systemFingerprint: systemFingerprint,
                     choices: choices, usage: usage, encodesNullUsage: nullUsage)
    }

    /// The builder of choice `index`.
    func builder(_ index: Int) -> ChatChoiceBuilder {
        var choice = builder
        choice.index = index
        return choice
    }

    /// Collects every choice, then replies with one JSON body (the prompt counted once in usage).
    func fullResponse(_ handles: [GenerationHandle]) async throws -> Response {
        var choices: [ChatChoice] = []
        var completionTokens = 0
        for (index, handle) in handles.enumerated() {
            var choice = builder(index)
            do {
                for try await token in handle.tokens {
                    if choice.add(token) { handle.cancel(); break }
                }
            } catch {
                for other in handles { other.cancel() }
                throw CompletionResponder.openAIError(error)
            }
            choice.finish()
            completionTokens += choice.tokenCount
            choices.append(choice.finalChoice())
        }
        let usage = Usage(promptTokens: promptTokenCount, completionTokens: completionTokens)
        return try JSONResponse.make(response(choices, object: "chat.completion", usage: usage))
    }

    /// Streams `data:` events: each choice's role, content (and reasoning) deltas as tokens arrive,
    /// its tool calls and finish reason when it ends, usage when asked, then `data: [DONE]`.
    func streamingResponse(_ handles: [GenerationHandle]) -> Response {
        let responder = self
        let body = ResponseBody { writer in
            var choices = handles.indices.map { responder.builder($0) }
            var open = Set(handles.indices)
            let usageWanted = responder.request.includeUsageInStream
            defer { for handle in handles { handle.cancel() } }
            do {
                for index in handles.indices {
                    try await writer.write(try responder.chunk([ChatChoice(index: index, delta: ChatMessage(role: "assistant", content: "", isDelta: true))]))
                }
                for try await (index, token) in CompletionResponder.merge(handles) where open.contains(index) {
                    let stopped = choices[index].add(token)
                    if let delta = choices[index].takeDelta() { try await writer.write(try responder.chunk([delta])) }
                    guard stopped || token.finishReason != nil else { continue }
                    if stopped { handles[index].cancel() }
                    try await responder.close(&choices[index], writer: &writer)
                    open.remove(index)
                    if open.isEmpty { break }
                }
                // A stream that ended without a last token (cancelled) still closes its choices.
                for index in open.sorted() { try await responder.close(&choices[index], writer: &writer) }
                if usageWanted {
                    let usage = Usage(promptTokens: responder.promptTokenCount, completionTokens: choices.reduce(0) { $0 + $1.tokenCount })
                    try await writer.write(try responder.chunk([], usage: usage))
                }
            } catch let error where !(error is CancellationError) {
                let failure = CompletionResponder.openAIError(error)
                if let buffer = try? JSONResponse.bytes(failure.body) {
                    var event = ByteBuffer(string: "data: ")
                    event.writeImmutableBuffer(buffer)
                    event.writeString("\n\n")
                    try? await writer.write(event)
                }
            }
            try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    /// Ends one streamed choice: what it held back, its tool calls, its finish reason.
    func close(_ choice: inout ChatChoiceBuilder, writer: inout any ResponseBodyWriter) async throws {
        choice.finish()
        if let delta = choice.takeDelta() { try await writer.write(try chunk([delta])) }
        for delta in choice.closingDeltas() { try await writer.write(try chunk([delta])) }
    }

    /// One `chat.completion.chunk` as an SSE event; `usage` is null in every chunk but the last
    /// when it was asked for, and absent otherwise.
    func chunk(_ choices: [ChatChoice], usage: Usage? = nil) throws -> ByteBuffer {
        try Self.event(response(choices, object: "chat.completion.chunk", usage: usage, nullUsage: request.includeUsageInStream))
    }

    static func event(_ chunk: some Encodable) throws -> ByteBuffer {
        var buffer = ByteBuffer(string: "data: ")
        var json = try JSONResponse.bytes(chunk)
        buffer.writeBuffer(&json)
        buffer.writeString("\n\n")
        return buffer
    }
}
