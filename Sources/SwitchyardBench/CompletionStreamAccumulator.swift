import Foundation

/// Folds the SSE events of one streamed completion into token timings and counts.
///
/// Token timing follows vLLM's benchmark: every chunk whose first choice carries `text` (or
/// `token_ids`) is one arrival; the first sets the time to first token, each later one adds an
/// inter-token gap. A trailing chunk with empty text that only carries `finish_reason` (llama.cpp
/// sends one) is not a token. The output token count comes from the final `usage` chunk
/// (`stream_options.include_usage`) when present; otherwise chunks are counted, one token per chunk
/// as vLLM streams them (or `token_ids.count` when the server returns ids).
public struct CompletionStreamAccumulator: Sendable {
    /// Seconds (same clock as the `at:` arguments) of the first token chunk.
    public private(set) var firstTokenTime: Double?
    /// Seconds of the latest token chunk.
    public private(set) var lastTokenTime: Double?
    /// Gaps between consecutive token chunks, in seconds.
    public private(set) var interTokenGaps: [Double] = []
    /// Tokens counted from chunks.
    public private(set) var chunkTokens = 0
    /// `usage.prompt_tokens` and `usage.completion_tokens`, when the server sent them.
    public private(set) var usagePromptTokens: Int?
    public private(set) var usageCompletionTokens: Int?
    /// The first choice's `finish_reason`, once seen.
    public private(set) var finishReason: String?
    /// Whether `data: [DONE]` arrived.
    public private(set) var sawDone = false
    /// The generated text, when `keepText` is on.
    public private(set) var text = ""

    private let keepText: Bool
    private let decoder = JSONDecoder()

    public init(keepText: Bool = false) {
        self.keepText = keepText
        interTokenGaps.reserveCapacity(256)
    }

    /// The output token count: usage when the server reported it, else counted chunks.
    public var outputTokens: Int { usageCompletionTokens ?? chunkTokens }

    /// Takes one event received at `time`; throws `.malformedStream` for anything that is not an
    /// OpenAI completion chunk (bad JSON, an `error` object, data after `[DONE]` is ignored).
    public mutating func consume(_ event: SSEEvent, at time: Double) throws(RequestFailure) {
        if sawDone { return }
        let data = event.data
        // Only a short event can be the end marker; skip trimming (an allocation) for token chunks.
        if data.utf8.count <= 16, data.trimmingCharacters(in: .whitespaces) == "[DONE]" {
            sawDone = true
            return
        }
        let chunk: CompletionChunk
        do {
            chunk = try decoder.decode(CompletionChunk.self, from: Data(data.utf8))
        } catch {
            throw RequestFailure(.malformedStream, "stream event is not a completion chunk: \(Self.excerpt(data))")
        }
        try absorb(chunk, at: time)
    }

    /// Takes the whole body of a non-streamed completion received at `time`.
    public mutating func consumeBody(_ body: [UInt8], at time: Double) throws(RequestFailure) {
        let chunk: CompletionChunk
        do {
            chunk = try decoder.decode(CompletionChunk.self, from: Data(body))
        } catch {
            throw RequestFailure(.malformedStream, "response is not a completion: \(Self.excerpt(String(decoding: body, as: UTF8.self)))")
        }
        try absorb(chunk, at: time)
        sawDone = true
    }

    /// Checks the stream ended as a complete completion; throws `.malformedStream` when not.
    public func validateComplete() throws(RequestFailure) {
        guard sawDone || finishReason != nil else {
            throw RequestFailure(.malformedStream, chunkTokens == 0
                ? "stream ended without any completion chunk"
                : "stream ended after \(chunkTokens) chunks without finish_reason or [DONE]")
        }
        guard outputTokens > 0 || finishReason != nil else {
            throw RequestFailure(.malformedStream, "completion has no output tokens")
        }
    }

    private mutating func absorb(_ chunk: CompletionChunk, at time: Double) throws(RequestFailure) {
        if let error = chunk.error {
            throw RequestFailure(.malformedStream, "server reported an error in the stream: \(error.message)")
        }
        guard chunk.choices != nil || chunk.usage != nil else {
            throw RequestFailure(.malformedStream, "chunk has neither choices nor usage")
        }
        if let usage = chunk.usage {
            if let p = usage.promptTokens { usagePromptTokens = p }
            if let c = usage.completionTokens { usageCompletionTokens = c }
        }
        guard let choice = chunk.choices?.first else { return }
        if let reason = choice.finishReason { finishReason = reason }
        let ids = choice.tokenIDs?.count ?? 0
        let textValue = choice.text
        let isToken = ids > 0 || (textValue != nil && !(textValue!.isEmpty && choice.finishReason != nil))
        guard isToken else { return }
        if keepText, let textValue { text += textValue }
        chunkTokens += Swift.max(ids, 1)
        if let last = lastTokenTime {
            interTokenGaps.append(time - last)
        } else {
            firstTokenTime = time
        }
        lastTokenTime = time
    }

    private static func excerpt(_ s: String) -> String {
        s.count <= 120 ? s : String(s.prefix(120)) + "..."
    }
}
