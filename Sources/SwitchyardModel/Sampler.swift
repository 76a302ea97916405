import Foundation
import SwitchyardTensor

/// Chooses tokens from logits: greedy, or temperature then top-k then top-p (the order of
/// transformers' logits warpers), with a seeded generator so a seed reproduces a sequence.
/// Owns its scratch buffers (sized to the vocabulary on first use); one per sequence.
public struct Sampler {
    public let params: SamplingParams
    private var generator: SeededGenerator
    private var ids: [Int32] = []
    private var values: [Float] = []

    public init(params: SamplingParams) {
        self.params = params
        var system = SystemRandomNumberGenerator()
        generator = SeededGenerator(seed: params.seed ?? system.next())
    }

    /// Chooses one token from `logits` (one per vocabulary entry).
    public mutating func sample(logits: UnsafeBufferPointer<Float>) -> SampledToken {
        precondition(!logits.isEmpty, "sampling from empty logits")
        let base = logits.baseAddress!
        let n = logits.count
        let lse = LogSoftmax.logSumExp(logits)
        if params.temperature <= 0 || params.topK == 1 {
            let token = VectorOps.argmax(base, count: n)
            return SampledToken(token: Int32(token), logprob: base[token] - lse, logSumExp: lse)
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
        return SampledToken(token: chosen, logprob: base[Int(chosen)] - lse, logSumExp: lse)
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
