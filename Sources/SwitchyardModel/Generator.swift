import Foundation
import SwitchyardTensor

/// The generate loop over an `Engine`: prefill the prompt, then sample and decode one token at a
/// time until `maxTokens`, an end-of-sequence id, or the model's context limit.
/// Used by `switchyard generate`, `switchyard perf` and the tests; the serving scheduler does the
/// same per step with continuous batching.
public struct Generator: Sendable {
    public let engine: Engine

    public init(engine: Engine) {
        self.engine = engine
    }

    /// Parses a comma-separated list of token ids (`"5,17,2"`), rejecting anything else clearly.
    public static func parseTokenIDs(_ text: String) throws -> [Int32] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !(parts.count == 1 && parts[0].isEmpty) else { throw EngineError.emptyPrompt }
        return try parts.map { part in
            guard let value = Int32(part) else {
                throw EngineError.invalidArgument("'\(part)' is not a token id (expected comma-separated integers, e.g. 5,17,2)")
            }
            return value
        }
    }

    /// Checks a prompt and limits against the model before any compute.
    public func validate(prompt: [Int32], maxTokens: Int, params: SamplingParams) throws {
        let config = engine.config
        guard !prompt.isEmpty else { throw EngineError.emptyPrompt }
        guard maxTokens >= 0 else { throw EngineError.invalidArgument("max-tokens must be >= 0, got \(maxTokens)") }
        for token in prompt where token < 0 || Int(token) >= config.vocabSize {
            throw EngineError.tokenOutOfRange(token: Int(token), vocabSize: config.vocabSize)
        }
        guard prompt.count <= config.maxPositionEmbeddings else {
            throw EngineError.promptTooLong(length: prompt.count, limit: config.maxPositionEmbeddings)
        }
        try params.validate()
    }

    /// Generates one sequence. `stopTokenIDs` defaults to the model's end-of-sequence ids.
    public func generate(prompt: [Int32], maxTokens: Int, params: SamplingParams = .greedy,
                         stopTokenIDs: Set<Int32>? = nil) async throws -> GenerationResult {
        try await generateBatch(prompts: [prompt], maxTokens: maxTokens, params: params, stopTokenIDs: stopTokenIDs)[0]
    }

    /// Generates several sequences decoded together: one `forward` per step for all unfinished ones.
    /// Sequence `i` samples with seed `params.seed + i` so results do not depend on the batch.
    public func generateBatch(prompts: [[Int32]], maxTokens: Int, params: SamplingParams = .greedy,
                              stopTokenIDs: Set<Int32>? = nil) async throws -> [GenerationResult] {
        for prompt in prompts { try validate(prompt: prompt, maxTokens: maxTokens, params: params) }
        let config = engine.config
        let stops = stopTokenIDs ?? Set(config.eosTokenIDs.map { Int32($0) })
        let caches = prompts.map {
            KVCache(config: config, capacity: max(1, min($0.count + maxTokens, config.maxPositionEmbeddings)))
        }
        var samplers = prompts.indices.map { i in
            var p = params
            p.seed = params.seed.map { $0 &+ UInt64(i) }
            return Sampler(params: p)
        }
        var results = prompts.map {
            GenerationResult(promptTokenIDs: $0, tokenIDs: [], logprobs: [], finishReason: .length)
        }
        guard maxTokens > 0, !prompts.isEmpty else { return results }

        var active = Array(prompts.indices)
        var inputs = active.map { EngineInput(cache: caches[$0], tokens: prompts[$0]) }
        while !active.isEmpty {
            let logits = try await engine.forward(inputs)
            var stillActive: [Int] = []
            var next: [EngineInput] = []
            for (row, i) in active.enumerated() {
                let sampled = samplers[i].sample(logits: UnsafeBufferPointer(start: logits.row(row), count: logits.cols))
                results[i].tokenIDs.append(sampled.token)
                results[i].logprobs.append(sampled.logprob)
                if stops.contains(sampled.token) {
                    results[i].finishReason = .stop
                } else if results[i].tokenIDs.count < maxTokens && caches[i].length < caches[i].capacity {
                    stillActive.append(i)
                    next.append(EngineInput(cache: caches[i], tokens: [sampled.token]))
                }
            }
            active = stillActive
            inputs = next
        }
        return results
    }
}
