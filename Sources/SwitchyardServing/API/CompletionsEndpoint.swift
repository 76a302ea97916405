import Foundation
import Hummingbird
import NIOCore
import SwitchyardModel

/// `POST /v1/completions`: validates, submits one sequence per prompt, and answers as one JSON
/// body or as a server-sent-event stream.
struct CompletionsEndpoint: Sendable {
    let context: ServingContext

    func handle(_ request: Request, context requestContext: ServingRequestContext) async throws -> Response {
        let completion = try CompletionRequest.parse(try await RequestBody.collect(request, limit: context.configuration.maxBodyBytes))
        let prompts = try validate(completion)

        let config = context.service.engine.config
        var stopIDs = Set(completion.stopTokenIDs)
        if !completion.ignoreEOS { stopIDs.formUnion(config.eosTokenIDs.map(Int32.init)) }
        var handles: [GenerationHandle] = []
        do {
            for (promptIndex, prompt) in prompts.enumerated() {
                // A prompt's `best_of` sequences compute the prompt once (siblings in the engine).
                let siblings = (0 ..< completion.bestOf).map { sample in
                    let index = promptIndex * completion.bestOf + sample
                    // Each sequence gets its own deterministic stream of randomness.
                    let sampling = Self.samplingParams(completion, seed: completion.seed.map { $0 &+ UInt64(index) },
                                                       endTokens: stopIDs.sorted())
                    // `max_tokens` 0 (echo only) still runs one step; its token is dropped.
                    return GenerationRequest(
                        promptTokens: prompt, maxNewTokens: max(1, completion.maxTokens), sampling: sampling,
                        stopTokenIDs: stopIDs, topLogprobs: completion.logprobs,
                        promptLogprobs: completion.needsPromptLogprobs ? max(completion.logprobs ?? 0, completion.promptLogprobs ?? 0) : nil)
                }
                handles += try context.service.submit(siblings: siblings)
            }
        } catch {
            for handle in handles { handle.cancel() }
            throw error
        }

        let responder = CompletionResponder(
            id: "cmpl-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(),
            created: Int(Date().timeIntervalSince1970), model: context.configuration.modelName,
            request: completion, prompts: prompts, promptTexts: completion.promptTexts, tokenizer: context.tokenizer)
        if completion.stream {
            return responder.streamingResponse(handles)
        }
        // Nothing is written until the whole answer is ready: watch the connection so a client that
        // goes away cancels its sequences (a streamed response finds out on its next write).
        let watcher = await requestContext.closeWatcher()
        let submitted = handles
        watcher?.onClientClose { for handle in submitted { handle.cancel() } }
        defer { watcher?.clear() }
        return try await responder.fullResponse(submitted)
    }

    /// The engine's sampling parameters for one sequence of `completion`.
    static func samplingParams(_ completion: CompletionRequest, seed: UInt64?, endTokens: [Int32]) -> SamplingParams {
        completion.extras.samplingParams(temperature: completion.temperature, topK: completion.topK, topP: completion.topP,
                                         seed: seed, endTokens: endTokens)
    }

    /// Token ids of every prompt, checked against the vocabulary and context length.
    func validate(_ completion: CompletionRequest) throws(OpenAIError) -> [[Int32]] {
        if let model = completion.model, model != context.configuration.modelName {
            throw .modelNotFound(model)
        }
        if !completion.stopStrings.isEmpty && context.tokenizer == nil {
            throw .invalid("`stop` strings need a tokenizer, and this model directory has none: use `stop_token_ids`.", param: "stop")
        }
        let prompts: [[Int32]]
        switch completion.prompt {
        case .tokens(let ids):
            prompts = ids
        case .text(let texts):
            guard let tokenizer = context.tokenizer else {
                throw .invalid("This model has no tokenizer, so `prompt` must be token ids (an array of integers).", param: "prompt")
            }
            var encoded: [[Int32]] = []
            for text in texts {
                do { encoded.append(try tokenizer.encode(text, addSpecialTokens: completion.addSpecialTokens)) } catch {
                    throw .invalid("The prompt could not be tokenized: \(error)", param: "prompt")
                }
            }
            prompts = encoded
        }
        let config = context.service.engine.config
        if let bad = completion.extras.logitBias.keys.first(where: { Int($0) >= config.vocabSize }) {
            throw .invalid("Token id \(bad) in `logit_bias` is out of range: the vocabulary has \(config.vocabSize) tokens.", param: "logit_bias")
        }
        for (index, prompt) in prompts.enumerated() {
            if prompt.isEmpty { throw .invalid("`prompt` must not be empty.", param: "prompt") }
            if let bad = prompt.first(where: { Int($0) >= config.vocabSize }) {
                throw .invalid("Token id \(bad) in prompt \(index) is out of range: the vocabulary has \(config.vocabSize) tokens (0...\(config.vocabSize - 1)).", param: "prompt")
            }
            let maxContext = config.maxPositionEmbeddings
            if prompt.count >= maxContext {
                throw .promptTooLong("This model's maximum context length is \(maxContext) tokens, but the prompt has \(prompt.count) tokens.")
            }
            if prompt.count + completion.maxTokens > maxContext {
                throw .invalid("This model's maximum context length is \(maxContext) tokens. However, you requested \(prompt.count + completion.maxTokens) tokens (\(prompt.count) in the prompt, \(completion.maxTokens) for the completion). Reduce the prompt or max_tokens.", param: "max_tokens")
            }
        }
        return prompts
    }
}

/// Builds the answer of one completion request from its sequences' token streams.
struct CompletionResponder: Sendable {
    let id: String
    let created: Int
    let model: String
    let request: CompletionRequest
    let prompts: [[Int32]]
    /// The prompts as sent, when they were text (echoed as they are).
    let promptTexts: [String]?
    let tokenizer: (any ServingTokenizer)?

    /// The builder of sequence `index` (prompt `index / best_of`).
    func builder(_ index: Int) -> ChoiceBuilder {
        let promptIndex = index / request.bestOf
        return ChoiceBuilder(index: index, request: request, tokenizer: tokenizer, promptTokens: prompts[promptIndex],
                             promptText: promptTexts?[promptIndex])
    }

    /// Collects every choice, then answers one JSON body. With `best_of` > `n`, each prompt keeps
    /// the `n` sequences with the highest total log-probability (in the order they were generated).
    func fullResponse(_ handles: [GenerationHandle]) async throws -> Response {
        var builders: [ChoiceBuilder] = []
        var completionTokens = 0
        for (index, handle) in handles.enumerated() {
            var choice = builder(index)
            do {
                for try await token in handle.tokens {
                    if choice.add(token) { handle.cancel(); break }
                }
            } catch {
                for other in handles { other.cancel() }
                throw Self.openAIError(error)
            }
            completionTokens += choice.tokenIDs.count
            builders.append(choice)
        }
        var choices: [CompletionChoice] = []
        for promptIndex in prompts.indices {
            let group = builders[(promptIndex * request.bestOf) ..< ((promptIndex + 1) * request.bestOf)]
            let kept = group.indices.sorted { group[$0].cumulativeLogprob > group[$1].cumulativeLogprob }.prefix(request.n).sorted()
            for (rank, index) in kept.enumerated() {
                var choice = builders[index].finalChoice()
                choice.index = promptIndex * request.n + rank
                choices.append(choice)
            }
        }
        let usage = Usage(promptTokens: prompts.reduce(0) { $0 + $1.count } * request.bestOf, completionTokens: completionTokens)
        return try JSONResponse.make(CompletionResponse(id: id, created: created, model: model, choices: choices, usage: usage))
    }

    /// Streams `data:` events as tokens arrive, then `data: [DONE]`.
    func streamingResponse(_ handles: [GenerationHandle]) -> Response {
        let responder = self
        let body = ResponseBody { writer in
            let events = Self.merge(handles)
            var builders = handles.indices.map { responder.builder($0) }
            var open = Set(handles.indices)
            defer { for handle in handles { handle.cancel() } }
            do {
                for try await (index, token) in events where open.contains(index) {
                    let stopped = builders[index].add(token)
                    var delta = builders[index].takeDelta()
                    if stopped {
                        delta.finishReason = FinishReason.stop.rawValue
                        handles[index].cancel()
                    }
                    let chunk = CompletionResponse(id: responder.id, created: responder.created, model: responder.model,
                                                   choices: [delta], usage: nil)
                    try await writer.write(Self.event(chunk))
                    if stopped || token.finishReason != nil { open.remove(index) }
                    if open.isEmpty { break }
                }
                if responder.request.includeUsageInStream {
                    let usage = Usage(promptTokens: responder.prompts.reduce(0) { $0 + $1.count } * responder.request.n,
                                      completionTokens: builders.reduce(0) { $0 + $1.tokenIDs.count })
                    let chunk = CompletionResponse(id: responder.id, created: responder.created, model: responder.model,
                                                   choices: [], usage: usage)
                    try await writer.write(Self.event(chunk))
                }
            } catch let error where !(error is CancellationError) {
                let failure = Self.openAIError(error)
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

    static func event(_ chunk: CompletionResponse) throws -> ByteBuffer {
        var buffer = ByteBuffer(string: "data: ")
        var json = try JSONResponse.bytes(chunk)
        buffer.writeBuffer(&json)
        buffer.writeString("\n\n")
        return buffer
    }

    /// Interleaves the choices' token streams as tokens arrive, tagging each with its choice index.
    static func merge(_ handles: [GenerationHandle]) -> AsyncThrowingStream<(Int, GeneratedToken), any Error> {
        if handles.count == 1 {
            let handle = handles[0]
            return AsyncThrowingStream { continuation in
                let task = Task {
                    do {
                        for try await token in handle.tokens { continuation.yield((0, token)) }
                        continuation.finish()
                    } catch { continuation.finish(throwing: error) }
                }
                continuation.onTermination = { _ in task.cancel() }
            }
        }
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for (index, handle) in handles.enumerated() {
                            group.addTask {
                                for try await token in handle.tokens { continuation.yield((index, token)) }
                            }
                        }
                        try await group.waitForAll()
                    }
                    continuation.finish()
                } catch { continuation.finish(throwing: error) }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    static func openAIError(_ error: any Error) -> OpenAIError {
        switch error {
        case let error as OpenAIError: error
        case let error as GenerationError:
            switch error {
            case .shuttingDown: .unavailable(error.description)
            case .engineFailed: .unavailable(error.description)
            // Only a client that already went away sees this (nginx's "client closed request").
            case .cancelled: OpenAIError(status: .init(code: 499, reasonPhrase: "Client Closed Request"),
                                         message: error.description, type: "invalid_request_error", code: "cancelled")
            }
        default: .internalError("\(error)")
        }
    }
}

/// Accumulates one choice: token ids, text (with stop strings), logprobs, finish reason, and with
/// `echo` the prompt (and its log-probabilities) before them.
struct ChoiceBuilder {
    var index: Int
    let request: CompletionRequest
    let promptTokens: [Int32]
    let promptText: String?
    let tokenizer: (any ServingTokenizer)?
    var text: TextAccumulator
    var tokenIDs: [Int32] = []
    var logprobs = CompletionLogprobs()
    var finishReason: FinishReason?
    /// Sum of the generated tokens' log-probabilities (`best_of` ranks by it).
    var cumulativeLogprob: Double = 0
    /// The prompt's log-probabilities once the engine sent them.
    var promptLogprobs: [PromptTokenLogprob]?
    /// What the last `takeDelta` has not yet reported.
    var pendingText = ""
    var pendingTokens: [Int32] = []
    var pendingLogprobs = CompletionLogprobs()
    var sentPromptIDs = false

    init(index: Int, request: CompletionRequest, tokenizer: (any ServingTokenizer)?, promptTokens: [Int32], promptText: String? = nil) {
        self.index = index
        self.request = request
        self.tokenizer = tokenizer
        self.promptTokens = promptTokens
        self.promptText = promptText
        self.text = TextAccumulator(tokenizer: tokenizer, stopStrings: request.stopStrings)
    }

    /// The echoed prompt: the text as sent, or the prompt's tokens decoded.
    var echoText: String {
        promptText ?? tokenizer?.text(of: promptTokens[...]) ?? ""
    }

    /// Adds a token; returns true when a stop string ended the choice (the caller cancels it).
    mutating func add(_ token: GeneratedToken) -> Bool {
        if let prompt = token.promptLogprobs { receivePrompt(prompt) }
        if request.maxTokens == 0 {
            // Echo only: the one step the engine ran is not part of the answer.
            finishReason = .length
            return false
        }
        let final = token.finishReason != nil
        let offset = (request.echo ? echoText.utf8.count : 0) + text.emitted.utf8.count
        let delta = text.append(token.token, final: final)
        tokenIDs.append(token.token)
        pendingTokens.append(token.token)
        pendingText += delta
        finishReason = token.finishReason
        cumulativeLogprob += Double(token.logprob)
        if request.logprobs != nil {
            let entry = tokenName(token.token)
            var top: [String: Float] = [:]
            for alternative in token.topLogprobs { top[tokenName(alternative.token)] = Self.finite(alternative.logprob) }
            for target in [\ChoiceBuilder.logprobs, \ChoiceBuilder.pendingLogprobs] {
                self[keyPath: target].tokens.append(entry)
                self[keyPath: target].tokenLogprobs.append(Self.finite(token.logprob))
                self[keyPath: target].topLogprobs.append(top)
                self[keyPath: target].textOffset.append(offset)
            }
        }
        if text.stopped {
            finishReason = .stop
            return !final
        }
        return false
    }

    /// Stores the prompt's log-probabilities; with `echo` and `logprobs` they lead the logprobs.
    mutating func receivePrompt(_ entries: [PromptTokenLogprob]) {
        promptLogprobs = entries
        guard request.echo, let top = request.logprobs else { return }
        var echoed = CompletionLogprobs()
        var offset = 0
        for (position, token) in promptTokens.enumerated() {
            let name = tokenName(token)
            echoed.tokens.append(name)
            echoed.textOffset.append(offset)
            offset += name.utf8.count
            if position == 0 || position - 1 >= entries.count {
                // The first token has no context: OpenAI reports null.
                echoed.tokenLogprobs.append(nil)
                echoed.topLogprobs.append(nil)
                continue
            }
            let entry = entries[position - 1]
            echoed.tokenLogprobs.append(Self.finite(entry.logprob))
            var alternatives: [String: Float] = [:]
            for alternative in entry.topLogprobs.prefix(top) { alternatives[tokenName(alternative.token)] = Self.finite(alternative.logprob) }
            if top > 0 { alternatives[name] = Self.finite(entry.logprob) }
            echoed.topLogprobs.append(alternatives)
        }
        logprobs = echoed.appending(logprobs)
        pendingLogprobs = echoed.appending(pendingLogprobs)
    }

    /// The streamed delta since the last call.
    mutating func takeDelta() -> CompletionChoice {
        var deltaText = pendingText
        if request.echo && !sentPromptIDs { deltaText = echoText + deltaText }
        var choice = CompletionChoice(index: index, text: deltaText, logprobs: request.logprobs != nil ? pendingLogprobs : nil,
                                      finishReason: finishReason?.rawValue)
        if !sentPromptIDs { choice.promptLogprobs = promptLogprobsField() }
        if request.returnTokenIDs {
            choice.tokenIDs = pendingTokens
            if !sentPromptIDs { choice.promptTokenIDs = promptTokens }
        }
        sentPromptIDs = true
        pendingText = ""
        pendingTokens = []
        pendingLogprobs = CompletionLogprobs()
        return choice
    }

    /// The whole choice for a non-streamed answer.
    func finalChoice() -> CompletionChoice {
        var choice = CompletionChoice(index: index, text: (request.echo ? echoText : "") + text.emitted,
                                      logprobs: request.logprobs != nil ? logprobs : nil,
                                      finishReason: (finishReason ?? .length).rawValue)
        choice.promptLogprobs = promptLogprobsField()
        if request.returnTokenIDs {
            choice.tokenIDs = tokenIDs
            choice.promptTokenIDs = promptTokens
        }
        return choice
    }

    /// vLLM's `prompt_logprobs`: null for the first prompt token, then per token a map from token id to
    /// its log-probability, rank and text (the token itself and its top alternatives).
    func promptLogprobsField() -> [[String: PromptLogprobEntry]?]? {
        guard let top = request.promptLogprobs, let entries = promptLogprobs else { return nil }
        var field: [[String: PromptLogprobEntry]?] = [nil]
        for entry in entries {
            var map: [String: PromptLogprobEntry] = [:]
            for (rank, alternative) in entry.topLogprobs.prefix(top).enumerated() {
                map[String(alternative.token)] = PromptLogprobEntry(logprob: Self.finite(alternative.logprob), rank: rank + 1,
                                                                    decodedToken: tokenName(alternative.token))
            }
            map[String(entry.token)] = PromptLogprobEntry(logprob: Self.finite(entry.logprob), rank: entry.rank,
                                                          decodedToken: tokenName(entry.token))
            field.append(map)
        }
        return field
    }

    /// A token as text for logprobs; `token_id:N` without a tokenizer, as vLLM writes it.
    func tokenName(_ token: Int32) -> String {
        if let tokenizer { return tokenizer.tokenName(token) }
        return "token_id:\(token)"
    }

    static func finite(_ value: Float) -> Float { value.isFinite ? value : -9999 }
}
