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

    /// Collects the whole answer, then replies with one JSON body.
    func fullResponse(_ handle: GenerationHandle) async throws -> Response {
        var choice = builder
        do {
            for try await token in handle.tokens {
                if choice.add(token) { handle.cancel(); break }
            }
        } catch {
            handle.cancel()
            throw CompletionResponder.openAIError(error)
        }
        choice.finish()
        let usage = Usage(promptTokens: promptTokenCount, completionTokens: choice.tokenCount)
        return try JSONResponse.make(response([choice.finalChoice()], object: "chat.completion", usage: usage))
    }

    /// Streams `data:` events: the role, content (and reasoning) deltas as tokens arrive, tool
    /// calls and the finish reason at the end, usage when asked, then `data: [DONE]`.
    func streamingResponse(_ handle: GenerationHandle) -> Response {
        let responder = self
        let body = ResponseBody { writer in
            var choice = responder.builder
            let usageWanted = responder.request.includeUsageInStream
            defer { handle.cancel() }
            do {
                try await writer.write(try responder.chunk([ChatChoice(index: 0, delta: ChatMessage(role: "assistant", content: "", isDelta: true))]))
                for try await token in handle.tokens {
                    let stopped = choice.add(token)
                    if let delta = choice.takeDelta() { try await writer.write(try responder.chunk([delta])) }
                    if stopped { handle.cancel(); break }
                    if token.finishReason != nil { break }
                }
                choice.finish()
                if let delta = choice.takeDelta() { try await writer.write(try responder.chunk([delta])) }
                for delta in choice.closingDeltas() { try await writer.write(try responder.chunk([delta])) }
                if usageWanted {
                    let usage = Usage(promptTokens: responder.promptTokenCount, completionTokens: choice.tokenCount)
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
