import Foundation
import SwitchyardTensor

/// Multi-head latent attention of one sequence's new rows against its latent cache, in the
/// absorbed form: keys and values are never expanded per head.
///
/// For head `h`, with `W_k[h]` (`nope x kvLoraRank`) and `W_v[h]` (`v x kvLoraRank`) its rows of
/// `kv_b_proj`, and cached latent `c_j` and RoPE key `r_j`:
/// `score_ij = scale · ((q_nope_i W_k[h]) · c_j + q_rope_i · r_j)` and
/// `out_i = W_v[h] · Σ_j softmax_j(score_ij) c_j`, which equals transformers' expanded
/// `q · k_j` and `Σ p v_j` exactly in real arithmetic. Each head runs four BLAS products.
public struct LatentAttention: Sendable {
    public let heads: Int
    public let shape: ModelConfig.LatentAttentionShape
    public let scale: Float

    public init(config: ModelConfig) {
        precondition(config.latentAttention != nil, "latent attention needs an MLA config")
        heads = config.numHeads
        shape = config.latentAttention!
        scale = config.attentionScale
    }

    /// Floats of scratch `compute` needs for `rows` query rows against `total` positions.
    public func scratchCount(rows: Int, total: Int) -> Int {
        rows * shape.cachedWidth + rows * total + rows * shape.kvLoraRank
    }

    /// Writes `rows x (heads * valueHeadDim)` outputs (leading dimension `ldOut`) for query rows `q`
    /// (head `h` at columns `h * queryHeadDim`: no-RoPE part then rotated part; leading dimension
    /// `ldQ`) at positions `start...`, attending causally to `latents` (`(start + rows) x cachedWidth`).
    /// `kvB` is `kv_b_proj` (`[heads * (nope + v), kvLoraRank]`, row-major f32).
    public func compute(
        q: UnsafePointer<Float>, ldQ: Int, rows: Int, start: Int,
        latents: UnsafePointer<Float>, kvB: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>, ldOut: Int, scratch: Matrix
    ) {
        let total = start + rows
        let rank = shape.kvLoraRank
        let width = shape.cachedWidth
        let nope = shape.nopeHeadDim
        let rope = shape.ropeHeadDim
        let value = shape.valueHeadDim
        let perHead = nope + value
        scratch.resize(rows: scratchCount(rows: rows, total: total))
        let absorbed = scratch.base
        let scores = absorbed + rows * width
        let context = scores + rows * total
        for h in 0..<heads {
            let qHead = q + h * shape.queryHeadDim
            let wk = kvB + h * perHead * rank
            let wv = wk + nope * rank
            // [q_nope W_k | q_rope]: one query row in the latent's coordinates.
            GEMM.multiply(m: rows, n: rank, k: nope, a: qHead, lda: ldQ, b: wk, ldb: rank, c: absorbed, ldc: width)
            for i in 0..<rows {
                (absorbed + i * width + rank).update(from: qHead + i * ldQ + nope, count: rope)
            }
            GEMM.multiplyTransposed(m: rows, n: total, k: width, a: absorbed, lda: width,
                                    b: latents, ldb: width, c: scores, ldc: total)
            for i in 0..<rows {
                let row = scores + i * total
                let hi = start + i + 1
                for j in 0..<hi { row[j] *= scale }
                Softmax.apply(row, count: hi)
                for j in hi..<total { row[j] = 0 }
            }
            GEMM.multiply(m: rows, n: rank, k: total, a: scores, lda: total, b: latents, ldb: width,
                          c: context, ldc: rank)
            GEMM.multiplyTransposed(m: rows, n: value, k: rank, a: context, lda: rank, b: wv, ldb: rank,
                                    c: output + h * value, ldc: ldOut)
        }
    }
}
