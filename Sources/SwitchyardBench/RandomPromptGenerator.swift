/// Random token-id prompts, as vLLM's `random` dataset: lengths drawn uniformly from
/// `[len * (1 - rangeRatio), len * (1 + rangeRatio)]`, ids uniform in `[0, vocabSize)`.
///
/// The range ratio spreads both input and output lengths, as in vLLM.
public struct RandomPromptGenerator: Sendable {
    /// Nominal prompt length in tokens.
    public var inputLength: Int
    /// Nominal `max_tokens`.
    public var outputLength: Int
    /// Relative spread of both lengths, in [0, 1).
    public var rangeRatio: Double
    /// Ids are drawn from `0..<vocabSize`.
    public var vocabSize: Int

    public init(inputLength: Int, outputLength: Int, rangeRatio: Double, vocabSize: Int) {
        self.inputLength = inputLength
        self.outputLength = outputLength
        self.rangeRatio = rangeRatio
        self.vocabSize = vocabSize
    }

    /// The inclusive length range a nominal length spreads to; never below 1.
    public func lengthRange(_ nominal: Int) -> ClosedRange<Int> {
        let low = Swift.max(1, Int((Double(nominal) * (1 - rangeRatio)).rounded(.down)))
        let high = Swift.max(low, Int((Double(nominal) * (1 + rangeRatio)).rounded(.up)))
        return low...high
    }

    /// Makes `count` prompts; the same generator state gives the same prompts.
    public func make(count: Int, rng: inout SeededRandom) -> [BenchPrompt] {
        let inputs = lengthRange(inputLength)
        let outputs = lengthRange(outputLength)
        var prompts: [BenchPrompt] = []
        prompts.reserveCapacity(count)
        for _ in 0..<count {
            let length = Int.random(in: inputs, using: &rng)
            var ids = [Int](repeating: 0, count: length)
            for j in 0..<length { ids[j] = Int.random(in: 0..<vocabSize, using: &rng) }
            prompts.append(BenchPrompt(content: .tokenIDs(ids), outputTokens: Int.random(in: outputs, using: &rng)))
        }
        return prompts
    }
}
