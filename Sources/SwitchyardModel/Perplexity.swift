import Foundation
import SwitchyardTensor

/// Perplexity of a model over a token stream, as `llama-perplexity` measures it: the stream is cut
/// into chunks of `context` tokens, each chunk starts with an empty cache, and the predictions of
/// its second half (positions `context/2 ..< context`, each seeing at least half a context) are
/// scored. With a baseline engine (e.g. the same checkpoint in f32) run on the same tokens, the
/// mean KL divergence `KL(baseline ‖ model)` and the top-1 agreement per scored token come too.
public enum Perplexity {
    /// What one evaluation measured.
    public struct Result: Sendable, Equatable {
        /// Tokens scored.
        public var tokens = 0
        /// Chunks evaluated.
        public var chunks = 0
        /// Σ −log p(token) of the model.
        public var negativeLogLikelihood = 0.0
        /// Σ −log p(token) of the baseline (0 without one).
        public var baselineNegativeLogLikelihood = 0.0
        /// Σ KL(baseline ‖ model) over scored positions, in nats (0 without a baseline).
        public var klDivergence = 0.0
        /// Largest KL of one position.
        public var maxKLDivergence = 0.0
        /// Positions where both put the same token first.
        public var top1Agreements = 0

        public var perplexity: Double { tokens == 0 ? .nan : (negativeLogLikelihood / Double(tokens)).exp }
        public var baselinePerplexity: Double { tokens == 0 ? .nan : (baselineNegativeLogLikelihood / Double(tokens)).exp }
        public var meanKLDivergence: Double { tokens == 0 ? .nan : klDivergence / Double(tokens) }
        public var top1Agreement: Double { tokens == 0 ? .nan : Double(top1Agreements) / Double(tokens) }
    }

    /// Scores `tokens` with `engine` (and `baseline` in lockstep when given), `batch` chunks
    /// decoding side by side. `maxChunks` limits the chunks evaluated (nil: every whole chunk).
    public static func evaluate(
        engine: Engine, baseline: Engine? = nil, tokens: [Int32], context: Int, batch: Int = 16, maxChunks: Int? = nil,
        progress: ((_ chunksDone: Int, _ result: Result) -> Void)? = nil
    ) async throws -> Result {
        guard context >= 4 else { throw EngineError.invalidArgument("--context must be at least 4, got \(context)") }
        if let baseline, baseline.config.vocabSize != engine.config.vocabSize {
            throw EngineError.invalidArgument("the baseline's vocabulary (\(baseline.config.vocabSize)) differs from the model's (\(engine.config.vocabSize))")
        }
        var chunkCount = tokens.count / context
        if let maxChunks { chunkCount = min(chunkCount, max(0, maxChunks)) }
        guard chunkCount > 0 else {
            throw EngineError.invalidArgument("the text has \(tokens.count) tokens, fewer than one context of \(context)")
        }
        let vocab = engine.config.vocabSize
        var ours = [Float](repeating: 0, count: vocab)
        var theirs = [Float](repeating: 0, count: vocab)
        var result = Result()
        let first = context / 2
        for waveStart in stride(from: 0, to: chunkCount, by: max(1, batch)) {
            let chunks = Array(waveStart..<min(chunkCount, waveStart + max(1, batch)))
            let caches = chunks.map { _ in KVCache(config: engine.config, capacity: context) }
            let baselineCaches = baseline.map { b in chunks.map { _ in KVCache(config: b.config, capacity: context) } }
            for t in 0..<(context - 1) {
                let step = chunks.map { tokens[$0 * context + t] }
                let logits = try await engine.forward(zip(caches, step).map { EngineInput(cache: $0, tokens: [$1]) })
                var reference: Matrix?
                if let baseline, let baselineCaches {
                    reference = try await baseline.forward(zip(baselineCaches, step).map { EngineInput(cache: $0, tokens: [$1]) })
                }
                guard t >= first else { continue }
                for (row, chunk) in chunks.enumerated() {
                    let target = Int(tokens[chunk * context + t + 1])
                    score(logits.row(row), reference: reference?.row(row), target: target, vocab: vocab,
                          ours: &ours, theirs: &theirs, into: &result)
                }
            }
            result.chunks += chunks.count
            progress?(result.chunks, result)
        }
        return result
    }

    /// Adds one position: the model's −log p(target), and against a reference row its KL and top-1.
    static func score(
        _ logits: UnsafeMutablePointer<Float>, reference: UnsafeMutablePointer<Float>?, target: Int, vocab: Int,
        ours: inout [Float], theirs: inout [Float], into result: inout Result
    ) {
        ours.withUnsafeMutableBufferPointer { LogSoftmax.compute(UnsafeBufferPointer(start: logits, count: vocab), into: $0.baseAddress!) }
        result.tokens += 1
        result.negativeLogLikelihood -= Double(ours[target])
        guard let reference else { return }
        theirs.withUnsafeMutableBufferPointer { LogSoftmax.compute(UnsafeBufferPointer(start: reference, count: vocab), into: $0.baseAddress!) }
        result.baselineNegativeLogLikelihood -= Double(theirs[target])
        var kl = 0.0
        var bestOurs = 0
        var bestTheirs = 0
        for i in 0..<vocab {
            let p = Double(theirs[i])
            kl += p.exp * (p - Double(ours[i]))
            if ours[i] > ours[bestOurs] { bestOurs = i }
            if theirs[i] > theirs[bestTheirs] { bestTheirs = i }
        }
        kl = max(0, kl)
        result.klDivergence += kl
        result.maxKLDivergence = max(result.maxKLDivergence, kl)
        if bestOurs == bestTheirs { result.top1Agreements += 1 }
    }
}

private extension Double {
    var exp: Double { Foundation.exp(self) }
}
