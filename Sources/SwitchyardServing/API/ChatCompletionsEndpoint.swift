import Foundation
import Hummingbird
import NIOCore
import SwitchyardModel
import SwitchyardTokenizer

/// `POST /v1/chat/completions`: renders the conversation with the model's chat template, generates
/// `n` answers, and replies as one `chat.completion` or as a stream of `chat.completion.chunk` events.
struct ChatCompletionsEndpoint: Sendable {
    let context: ServingContext

    func handle(_ request: Request, context requestContext: ServingRequestContext) async throws -> Response {
        let chat = try ChatRequest.parse(try await RequestBody.collect(request, limit: context.configuration.maxBodyBytes))
        if let model = chat.model, model != context.configuration.modelName { throw OpenAIError.modelNotFound(model) }
        let prompt = try ChatPromptBuilder(context: context).build(chat)
        let maxTokens = try validate(prompt.tokens, chat: chat)

        var stopIDs = Set(chat.stopTokenIDs)
        if !chat.ignoreEOS { stopIDs.formUnion(context.service.engine.config.eosTokenIDs.map(Int32.init)) }
        // The `n` choices compute the prompt once (siblings in the engine), each with its own seed.
        let siblings = (0 ..< chat.n).map { index in
            GenerationRequest(promptTokens: prompt.tokens, maxNewTokens: maxTokens,
                              sampling: chat.extras.samplingParams(temperature: chat.temperature, topK: chat.topK, topP: chat.topP,
                                                                   seed: chat.seed.map { $0 &+ UInt64(index) }, endTokens: stopIDs.sorted()),
                              stopTokenIDs: stopIDs, topLogprobs: chat.logprobs ? chat.topLogprobs : nil)
        }
        let handles = try context.service.submit(siblings: siblings)

        let responder = ChatResponder(
            id: "chatcmpl-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(),
            created: Int(Date().timeIntervalSince1970), model: context.configuration.modelName,
            systemFingerprint: Self.fingerprint(context), request: chat, promptTokenCount: prompt.tokens.count,
            builder: ChatChoiceBuilder(request: chat, tokenizer: prompt.outputTokenizer, splitsReasoning: prompt.splitsReasoning,
                                       prompt: prompt.text))
        if chat.stream { return responder.streamingResponse(handles) }
        let watcher = await requestContext.closeWatcher()
        watcher?.onClientClose { for handle in handles { handle.cancel() } }
        defer { watcher?.clear() }
        return try await responder.fullResponse(handles)
    }

    /// The number of tokens to generate, after checking the prompt against the model's limits.
    func validate(_ prompt: [Int32], chat: ChatRequest) throws(OpenAIError) -> Int {
        let config = context.service.engine.config
        if prompt.isEmpty { throw .invalid("The chat template rendered an empty prompt.", param: "messages") }
        if let bad = prompt.first(where: { Int($0) >= config.vocabSize }) {
            throw .invalid("The rendered prompt has token id \(bad), outside the model's vocabulary of \(config.vocabSize).", param: "messages")
        }
        if let bad = chat.extras.logitBias.keys.first(where: { Int($0) >= config.vocabSize }) {
            throw .invalid("Token id \(bad) in `logit_bias` is out of range: the vocabulary has \(config.vocabSize) tokens.", param: "logit_bias")
        }
        let maxContext = config.maxPositionEmbeddings
        if prompt.count >= maxContext {
            throw .promptTooLong("This model's maximum context length is \(maxContext) tokens, but the messages take \(prompt.count) tokens.")
        }
        guard let maxTokens = chat.maxTokens else { return maxContext - prompt.count }
        if prompt.count + maxTokens > maxContext {
            throw .invalid("This model's maximum context length is \(maxContext) tokens. However, you requested \(prompt.count + maxTokens) tokens (\(prompt.count) in the messages, \(maxTokens) for the completion). Reduce the messages or max_completion_tokens.", param: "max_tokens")
        }
        return maxTokens
    }

    /// A stable id of what answers: the server's model name and vocabulary (FNV-1a).
    static func fingerprint(_ context: ServingContext) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "switchyard|\(context.configuration.modelName)|\(context.service.engine.config.vocabSize)".utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return "fp_" + String(String(hash, radix: 16).prefix(10))
    }
}
