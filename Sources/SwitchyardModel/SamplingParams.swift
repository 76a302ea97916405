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

    public init(temperature: Float = 1, topK: Int = 0, topP: Float = 1, seed: UInt64? = nil) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
    }

    /// Greedy decoding.
    public static let greedy = SamplingParams(temperature: 0)

    /// Throws `EngineError.invalidArgument` for values outside their ranges.
    public func validate() throws {
        guard temperature.isFinite, temperature >= 0 else {
            throw EngineError.invalidArgument("temperature must be a finite number >= 0, got \(temperature)")
        }
        guard topK >= 0 else { throw EngineError.invalidArgument("top-k must be >= 0 (0 = off), got \(topK)") }
        guard topP.isFinite, topP > 0, topP <= 1 else {
            throw EngineError.invalidArgument("top-p must be in (0, 1], got \(topP)")
        }
    }
}
