import Foundation
import SwitchyardModel

/// Accumulates one chat choice from its tokens: text (with stop strings) through the reasoning
/// split and the tool-call gate, logprobs, finish reason. The same steps serve a streamed answer
/// (`takeDelta` after each token) and a whole one (`finalChoice`), so both say the same.
struct ChatChoiceBuilder {
    /// The choice's place in the answer (0 ..< `n`).
    var index = 0
    let request: ChatRequest
    let tokenizer: any ServingTokenizer
    private var text: TextAccumulator
    private var reasoning: ChatReasoningSplitter?
    private var gate: ChatToolCallGate?
    private(set) var tokenCount = 0
    private(set) var finishReason: FinishReason?
    private(set) var toolCalls: [ChatToolCall] = []
    private(set) var finished = false
    /// The whole answer so far, for the non-streamed message.
    private var content = ""
    private var reasoningContent = ""
    private var logprobs = ChatLogprobs()
    /// What `takeDelta` has not yet reported.
    private var pendingContent = ""
    private var pendingReasoning = ""
    private var pendingLogprobs = ChatLogprobs()

    /// - Parameters:
    ///   - splitsReasoning: whether the template writes `<think>` blocks.
    ///   - prompt: the rendered prompt (it may leave a `<think>` block open).
    init(request: ChatRequest, tokenizer: any ServingTokenizer, splitsReasoning: Bool, prompt: String) {
        self.request = request
        self.tokenizer = tokenizer
        text = TextAccumulator(tokenizer: tokenizer, stopStrings: request.stopStrings)
        if splitsReasoning { reasoning = ChatReasoningSplitter(startsInReasoning: ChatReasoningSplitter.startsInReasoning(prompt: prompt)) }
        if request.parsesToolCalls { gate = ChatToolCallGate() }
    }

    /// Adds a token; returns true when a stop string ended the choice (the caller cancels it).
    mutating func add(_ token: GeneratedToken) -> Bool {
        let final = token.finishReason != nil
        tokenCount += 1
        finishReason = token.finishReason
        if request.logprobs {
            let entry = ChatLogprobs.Entry(
                token: tokenizer.tokenName(token.token), logprob: Self.finite(token.logprob), bytes: tokenizer.tokenBytes(token.token),
                topLogprobs: token.topLogprobs.prefix(request.topLogprobs).map {
                    ChatLogprobs.Entry.Alternative(token: tokenizer.tokenName($0.token), logprob: Self.finite($0.logprob), bytes: tokenizer.tokenBytes($0.token))
                })
            logprobs.content.append(entry)
            pendingLogprobs.content.append(entry)
        }
        route(text.append(token.token, final: final))
        var stoppedByString = false
        if text.stopped {
            finishReason = .stop
            stoppedByString = !final
        }
        if final || text.stopped { finish() }
        return stoppedByString
    }

    /// Sends new text through the reasoning split and the tool-call gate.
    private mutating func route(_ delta: String) {
        guard !delta.isEmpty else { return }
        var contentDelta = delta
        if reasoning != nil {
            let (thought, answer) = reasoning!.feed(delta)
            addReasoning(thought)
            contentDelta = answer
        }
        addContent(gate == nil ? contentDelta : gate!.feed(contentDelta))
    }

    /// Flushes what was held back and parses tool calls: on the last token, or when the stream ends
    /// without one. Later calls do nothing.
    mutating func finish() {
        guard !finished else { return }
        finished = true
        if reasoning != nil {
            let (thought, answer) = reasoning!.finish()
            addReasoning(thought)
            addContent(gate == nil ? answer : gate!.feed(answer))
        }
        guard gate != nil else { return }
        let (rest, calls, format) = gate!.finish()
        addContent(rest)
        if !calls.isEmpty {
            let kept = request.parallelToolCalls ? calls : Array(calls.prefix(1))
            toolCalls = kept.map { ChatToolCall(id: Self.callID(format: format), function: .init(name: $0.name, arguments: $0.arguments)) }
        }
    }

    private mutating func addContent(_ delta: String) {
        content += delta
        pendingContent += delta
    }

    private mutating func addReasoning(_ delta: String) {
        reasoningContent += delta
        pendingReasoning += delta
    }

    /// `tool_calls` when the answer called tools, else `stop` or `length`.
    var finishReasonText: String {
        toolCalls.isEmpty ? (finishReason ?? .length).rawValue : "tool_calls"
    }

    /// What a stream chunk should carry since the last call, nil when there is nothing to say.
    /// Tool calls and the finish reason come in the last chunks, from `closingDeltas`.
    mutating func takeDelta() -> ChatChoice? {
        guard !pendingContent.isEmpty || !pendingReasoning.isEmpty || !pendingLogprobs.content.isEmpty else { return nil }
        let delta = ChatMessage(content: pendingContent.isEmpty && !pendingReasoning.isEmpty ? nil : pendingContent,
                                reasoningContent: pendingReasoning.isEmpty ? nil : pendingReasoning, isDelta: true)
        let choice = ChatChoice(index: index, delta: delta, logprobs: request.logprobs ? pendingLogprobs : nil)
        pendingContent = ""
        pendingReasoning = ""
        pendingLogprobs = ChatLogprobs()
        return choice
    }

    /// The stream's last deltas: the tool calls (if any), then an empty delta with the finish reason.
    func closingDeltas() -> [ChatChoice] {
        var deltas: [ChatChoice] = []
        if !toolCalls.isEmpty {
            var calls = toolCalls
            for index in calls.indices { calls[index].index = index }
            deltas.append(ChatChoice(index: index, delta: ChatMessage(toolCalls: calls, isDelta: true)))
        }
        deltas.append(ChatChoice(index: index, delta: ChatMessage(isDelta: true), finishReason: finishReasonText))
        return deltas
    }

    /// The whole choice for a non-streamed answer.
    func finalChoice() -> ChatChoice {
        let message = ChatMessage(
            role: "assistant",
            content: content.isEmpty || (!toolCalls.isEmpty && content.allSatisfy(\.isWhitespace)) ? nil : content,
            reasoningContent: reasoning == nil ? nil : (reasoningContent.isEmpty ? nil : reasoningContent),
            toolCalls: toolCalls)
        return ChatChoice(index: index, message: message, logprobs: request.logprobs ? logprobs : nil, finishReason: finishReasonText)
    }

    /// OpenAI-style ids; Mistral's templates only accept 9 alphanumeric characters.
    static func callID(format: ChatToolCallParser.Format?) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        if format == .mistral { return String((0..<9).map { _ in alphabet.randomElement()! }) }
        return "call_" + String((0..<24).map { _ in alphabet.randomElement()! })
    }

    static func finite(_ value: Float) -> Float { value.isFinite ? value : -9999 }
}
