import Foundation
import SwitchyardTensor

/// Causal grouped-query attention of one sequence's new rows against its KV cache.
///
/// The new keys and values must already be in the cache. Row `i` (position `start + i`) attends
/// to cached positions `lo...start + i`, where `lo` is 0 or, with a sliding window `W`,
/// `start + i - W + 1` (transformers: `kv_idx > q_idx - W`). With attention sinks (gpt_oss) each
/// head's learned sink logit joins the softmax denominator and takes no value. One row (decode) runs
/// tight SIMD loops; several rows (prefill) run two BLAS products per head.
public struct Attention: Sendable {
    public let heads: Int
    public let kvHeads: Int
    public let headDim: Int
    /// `1 / sqrt(headDim)` (times the config's `attentionScaleFactor`).
    public let scale: Float

    public init(config: ModelConfig) {
        heads = config.numHeads
        kvHeads = config.numKVHeads
        headDim = config.headDim
        scale = config.attentionScale
    }

    /// Writes `rows x (heads * headDim)` outputs (leading dimension `ldOut`) for query rows `q`
    /// (head `h` at columns `h * headDim`, leading dimension `ldQ`) at positions `start...`.
    /// `scratch` is grown as needed (cols 1) and holds the score matrix. `sinks` holds one logit
    /// per head when the model has attention sinks.
    public func compute(
        q: UnsafePointer<Float>, ldQ: Int, rows: Int, start: Int,
        cache: KVCache, layer: Int, window: Int?, sinks: UnsafePointer<Float>? = nil,
        output: UnsafeMutablePointer<Float>, ldOut: Int, scratch: Matrix
    ) {
        let total = start + rows
        let group = heads / kvHeads
        if rows == 1 {
            decode(q: q, start: start, cache: cache, layer: layer, window: window, sinks: sinks,
                   output: output, heads: 0..<heads, scratch: scratch)
            return
        }
        scratch.resize(rows: rows * total)
        let scores = scratch.base
        for h in 0..<heads {
            let g = h / group
            let keys = cache.keys(layer: layer, head: g)
            let values = cache.values(layer: layer, head: g)
            GEMM.multiplyTransposed(m: rows, n: total, k: headDim, a: q + h * headDim, lda: ldQ,
                                    b: keys, ldb: headDim, c: scores, ldc: total)
            for i in 0..<rows {
                let row = scores + i * total
                let hi = start + i + 1
                let lo = window.map { max(0, hi - $0) } ?? 0
                maskedSoftmax(row, lo: lo, hi: hi, total: total, sink: sinks?[h])
            }
            GEMM.multiply(m: rows, n: headDim, k: total, a: scores, lda: total,
                          b: values, ldb: headDim, c: output + h * headDim, ldc: ldOut)
        }
    }

    /// One decode query (position `start`) for the heads `heads` only: their outputs, at
    /// `output + h * headDim`, are exactly what `compute` with `rows` 1 writes for them, so the
    /// heads of one token can be split over threads (each with its own `scratch`).
    public func decode(
        q: UnsafePointer<Float>, start: Int, cache: KVCache, layer: Int, window: Int?, sinks: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>, heads: Range<Int>, scratch: Matrix
    ) {
        let total = start + 1
        let group = self.heads / kvHeads
        scratch.resize(rows: total)
        let scores = scratch.base
        let lo = window.map { max(0, start - $0 + 1) } ?? 0
        for h in heads {
            let g = h / group
            decodeHead(q: q + h * headDim, keys: cache.keys(layer: layer, head: g),
                       values: cache.values(layer: layer, head: g), lo: lo, hi: total, sink: sinks?[h],
                       scores: scores, output: output + h * headDim)
        }
    }

    /// Scales `row[lo..<hi]` by `scale`, replaces it by its softmax (with `sink` in the denominator
    /// when given) and zeroes the rest of `row[0..<total]`.
    @inline(__always)
    private func maskedSoftmax(_ row: UnsafeMutablePointer<Float>, lo: Int, hi: Int, total: Int, sink: Float?) {
        for j in 0..<lo { row[j] = 0 }
        for j in hi..<total { row[j] = 0 }
        for j in lo..<hi { row[j] *= scale }
        guard let sink else {
            Softmax.apply(row + lo, count: hi - lo)
            return
        }
        var maximum = sink
        for j in lo..<hi { maximum = max(maximum, row[j]) }
        var sum = expf(sink - maximum)
        for j in lo..<hi {
            let e = expf(row[j] - maximum)
            row[j] = e
            sum += e
        }
        let inverse = 1 / sum
        for j in lo..<hi { row[j] *= inverse }
    }

    @inline(__always)
    private func decodeHead(
        q: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
        lo: Int, hi: Int, sink: Float?, scores: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
    ) {
        var maxScore = sink ?? -Float.infinity
        for j in lo..<hi {
            let s = VectorOps.dot(q, keys + j * headDim, count: headDim) * scale
            scores[j] = s
            maxScore = max(maxScore, s)
        }
        var sum: Float = sink.map { expf($0 - maxScore) } ?? 0
        for j in lo..<hi {
            let e = expf(scores[j] - maxScore)
            scores[j] = e
            sum += e
        }
        let inverse = 1 / sum
        output.update(repeating: 0, count: headDim)
        for j in lo..<hi {
            VectorOps.addScaled(values + j * headDim, alpha: scores[j] * inverse, into: output, count: headDim)
        }
    }
}
