/// Rewrites one row of logits before a token is chosen: repetition, presence and frequency
/// penalties, logit bias, and end-token suppression until `minTokens`.
///
/// Keeps the sequence's history as dense per-token counts sized to the vocabulary on first use, so
/// a decode step allocates nothing: the penalties touch only the tokens seen so far.
struct LogitsProcessor {
    let params: SamplingParams
    /// Times each token was generated (presence and frequency penalties).
    private var outputCounts: [Int32] = []
    /// Whether each token is in the prompt or the output (repetition penalty).
    private var seen: [Bool] = []
    /// The distinct tokens generated, then the distinct tokens seen, in first-seen order.
    private var outputTokens: [Int32] = []
    private var seenTokens: [Int32] = []
    /// Prompt tokens recorded before the vocabulary size is known.
    private var pendingPrompt: [Int32] = []
    private(set) var generated = 0

    init(params: SamplingParams) {
        self.params = params
    }

    /// Records the prompt (it counts for the repetition penalty only, as in transformers and vLLM).
    mutating func observePrompt(_ tokens: [Int32]) {
        guard params.repetitionPenalty != 1 else { return }
        pendingPrompt.append(contentsOf: tokens)
    }

    /// Records a generated token.
    mutating func observe(_ token: Int32) {
        generated += 1
        guard !outputCounts.isEmpty, token >= 0, Int(token) < outputCounts.count else { return }
        let index = Int(token)
        if outputCounts[index] == 0 { outputTokens.append(token) }
        outputCounts[index] += 1
        if !seen[index] {
            seen[index] = true
            seenTokens.append(token)
        }
    }

    /// Applies every rewrite to `logits` in place.
    mutating func apply(_ logits: UnsafeMutableBufferPointer<Float>) {
        let n = logits.count
        if outputCounts.count != n { prepare(vocabulary: n) }
        let repetition = params.repetitionPenalty
        if repetition != 1 {
            for token in seenTokens {
                let value = logits[Int(token)]
                logits[Int(token)] = value > 0 ? value / repetition : value * repetition
            }
        }
        if params.presencePenalty != 0 || params.frequencyPenalty != 0 {
            for token in outputTokens {
                let count = Float(outputCounts[Int(token)])
                logits[Int(token)] -= params.frequencyPenalty * count + params.presencePenalty
            }
        }
        for (token, bias) in params.logitBias where Int(token) < n && token >= 0 {
            logits[Int(token)] += bias
        }
        if generated < params.minTokens {
            for token in params.endTokens where token >= 0 && Int(token) < n {
                logits[Int(token)] = -.infinity
            }
        }
    }

    private mutating func prepare(vocabulary n: Int) {
        outputCounts = [Int32](repeating: 0, count: n)
        seen = [Bool](repeating: false, count: n)
        outputTokens.reserveCapacity(64)
        seenTokens.reserveCapacity(pendingPrompt.count + 64)
        for token in pendingPrompt where token >= 0 && Int(token) < n && !seen[Int(token)] {
            seen[Int(token)] = true
            seenTokens.append(token)
        }
        pendingPrompt = []
    }
}
