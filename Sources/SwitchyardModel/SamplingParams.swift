/// How the next token is chosen from the logits.
public struct SamplingParams: Sendable, Equatable {
    /// 0 is greedy (argmax); otherwise logits are divided by it before sampling.
    public var temperature: Float
    /// Keep only the `topK` most likely tokens; 0 turns it off.
    public var topK: Int
    /// Keep the smallest set of most likely tokens whose probability reaches `topP`; 1 turns it off.
    public var topP: Float
    /// Seed for reproducible sampling; nil draws one from the system.
    public var seed: UInt64?
    /// Drop tokens whose probability is below `minP` times the most likely token's; 0 turns it off.
    public var minP: Float = 0
    /// Subtracted once from the logit of every token already generated (OpenAI's `presence_penalty`).
    public var presencePenalty: Float = 0
    /// Subtracted from a token's logit once per time it was generated (OpenAI's `frequency_penalty`).
    public var frequencyPenalty: Float = 0
    /// Logits of tokens in the prompt or the output are divided by it when positive, multiplied when
    /// negative (CTRL's penalty, as transformers and vLLM apply it); 1 turns it off.
    public var repetitionPenalty: Float = 1
    /// Added to the logit of each listed token before sampling (OpenAI's `logit_bias`).
    public var logitBias: [Int32: Float] = [:]
    /// The end tokens (`endTokens`) cannot be drawn before this many tokens were generated.
    public var minTokens: Int = 0
    /// The tokens `minTokens` suppresses: end-of-sequence and stop token ids.
    public var endTokens: [Int32] = []

    public init(temperature: Float = 1, topK: Int = 0, topP: Float = 1, seed: UInt64? = nil) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
    }

    /// Greedy decoding.
    public static let greedy = SamplingParams(temperature: 0)

    /// Whether the logits need rewriting before choosing (penalties, biases, suppression).
    public var transformsLogits: Bool {
        presencePenalty != 0 || frequencyPenalty != 0 || repetitionPenalty != 1 || !logitBias.isEmpty
            || (minTokens > 0 && !endTokens.isEmpty)
    }

    /// Throws `EngineError.invalidArgument` for values outside their ranges.
    public func validate() throws {
        guard temperature.isFinite, temperature >= 0 else {
            throw EngineError.invalidArgument("temperature must be a finite number >= 0, got \(temperature)")
        }
        guard topK >= 0 else { throw EngineError.invalidArgument("top-k must be >= 0 (0 = off), got \(topK)") }
        guard topP.isFinite, topP > 0, topP <= 1 else {
            throw EngineError.invalidArgument("top-p must be in (0, 1], got \(topP)")
        }
        guard minP.isFinite, minP >= 0, minP <= 1 else {
            throw EngineError.invalidArgument("min-p must be in [0, 1], got \(minP)")
        }
        guard repetitionPenalty.isFinite, repetitionPenalty > 0 else {
            throw EngineError.invalidArgument("repetition penalty must be > 0, got \(repetitionPenalty)")
        }
        guard presencePenalty.isFinite, frequencyPenalty.isFinite, minTokens >= 0 else {
            throw EngineError.invalidArgument("penalties must be finite and min-tokens >= 0")
        }
    }
}
