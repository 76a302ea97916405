import Foundation
import SwitchyardTensor

/// Chooses tokens from logits: penalties and biases first (`LogitsProcessor`), then greedy, or
/// temperature then top-k then top-p then min-p (the order of transformers' logits warpers), with a
/// seeded generator so a seed reproduces a sequence.
/// Owns its scratch buffers (sized to the vocabulary on first use); one per sequence, which sees
/// every token it draws (the penalties count them).
public struct Sampler {
    public let params: SamplingParams
    private var generator: SeededGenerator
    private var processor: LogitsProcessor
    private var ids: [Int32] = []
    private var values: [Float] = []
    /// The rewritten row when `params.transformsLogits`; the model's row is left as it is, so
    /// reported log-probabilities stay the model's own.
    private var processed: [Float] = []

    /// A sampler; `promptTokens` count for the repetition penalty.
    public init(params: SamplingParams, promptTokens: [Int32] = []) {
        self.params = params
        var system = SystemRandomNumberGenerator()
        generator = SeededGenerator(seed: params.seed ?? system.next())
        processor = LogitsProcessor(params: params)
        processor.observePrompt(promptTokens)
    }

    /// Chooses one token from `logits` (one per vocabulary entry). The log-probability reported is
    /// the model's (log-softmax of the raw row), before penalties, temperature or truncation.
    public mutating func sample(logits: UnsafeBufferPointer<Float>) -> SampledToken {
        precondition(!logits.isEmpty, "sampling from empty logits")
        let raw = logits.baseAddress!
        let n = logits.count
        let lse = LogSoftmax.logSumExp(logits)
        guard params.transformsLogits else {
            let token = choose(raw, n: n)
            return SampledToken(token: token, logprob: raw[Int(token)] - lse, logSumExp: lse)
        }
        if processed.count != n { processed = [Float](repeating: 0, count: n) }
        var buffer: [Float] = []
        swap(&buffer, &processed)
        let token: Int32 = buffer.withUnsafeMutableBufferPointer { row in
            _ = row.update(fromContentsOf: logits)
            processor.apply(row)
            return choose(UnsafePointer(row.baseAddress!), n: n)
        }
        swap(&buffer, &processed)
        processor.observe(token)
        return SampledToken(token: token, logprob: raw[Int(token)] - lse, logSumExp: lse)
    }

    /// Greedy or a draw from one (possibly rewritten) row.
    private mutating func choose(_ base: UnsafePointer<Float>, n: Int) -> Int32 {
        if params.temperature <= 0 || params.topK == 1 {
            return Int32(VectorOps.argmax(base, count: n))
        }
        let k = params.topK > 0 ? min(params.topK, n) : n
        if ids.count != k {
            ids = [Int32](repeating: 0, count: k)
            values = [Float](repeating: 0, count: k)
        }
        var idBuffer: [Int32] = []
        var valueBuffer: [Float] = []
        swap(&idBuffer, &ids)
        swap(&valueBuffer, &values)
        let chosen: Int32 = idBuffer.withUnsafeMutableBufferPointer { idPointer in
            valueBuffer.withUnsafeMutableBufferPointer { valuePointer in
                choose(base, n: n, k: k, ids: idPointer, values: valuePointer)
            }
        }
        swap(&idBuffer, &ids)
        swap(&valueBuffer, &values)
        return chosen
    }

    /// Candidates sorted by logit (descending), softmax at the temperature, top-p cut, then a draw.
    private mutating func choose(
        _ logits: UnsafePointer<Float>, n: Int, k: Int,
        ids: UnsafeMutableBufferPointer<Int32>, values: UnsafeMutableBufferPointer<Float>
    ) -> Int32 {
        if k < n {
            TopK.select(logits, count: n, k: k, indices: ids.baseAddress!, topValues: values.baseAddress!)
        } else {
            for i in 0..<n { ids[i] = Int32(i) }
            if params.topP < 1 {
                var sortable = ids
                sortable.sort { (a: Int32, b: Int32) -> Bool in
                    let la: Float = logits[Int(a)]
                    let lb: Float = logits[Int(b)]
                    return la > lb || (la == lb && a < b)
                }
            }
            for i in 0..<n { values[i] = logits[Int(ids[i])] }
        }
        var maxValue = -Float.infinity
        for i in 0..<k { maxValue = max(maxValue, values[i]) }
        let inverseT = 1 / params.temperature
        var total: Double = 0
        for i in 0..<k {
            let p = expf((values[i] - maxValue) * inverseT)
            values[i] = p
            total += Double(p)
        }
        var kept = k
        if params.topP < 1 {
            let threshold = Double(params.topP) * total
            var cumulative: Double = 0
            kept = 0
            while kept < k && (kept == 0 || cumulative < threshold) {
                cumulative += Double(values[kept])
                kept += 1
            }
            total = cumulative
        }
        if params.minP > 0 {
            // Probabilities are relative to the most likely token's (1 here), so the cut is minP itself.
            for i in 0..<kept where Double(values[i]) < Double(params.minP) {
                total -= Double(values[i])
                values[i] = 0
            }
        }
        let u = Double(generator.nextUnitFloat()) * total
        var cumulative: Double = 0
        for i in 0..<kept {
            cumulative += Double(values[i])
            if u < cumulative { return ids[i] }
        }
        for i in stride(from: kept - 1, through: 0, by: -1) where values[i] > 0 { return ids[i] }
        return ids[0]
    }
}
