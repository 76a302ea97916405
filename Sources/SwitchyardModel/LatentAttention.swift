import Foundation
import SwitchyardTensor

/// Multi-head latent attention in the absorbed form: keys and values are never expanded per head.
///
/// For head `h`, with `W_k[h]` (`nope x kvLoraRank`) and `W_v[h]` (`v x kvLoraRank`) its rows of
/// `kv_b_proj`, and cached latent `c_j` and RoPE key `r_j`:
/// `score_ij = scale · ((q_nope_i W_k[h]) · c_j + q_rope_i · r_j)` and
/// `out_i = W_v[h] · Σ_j softmax_j(score_ij) c_j`, which equals transformers' expanded
/// `q · k_j` and `Σ p v_j` exactly in real arithmetic.
///
/// A layer runs in three steps, so that what does not depend on a sequence's cache is done once for
/// every row of the micro-batch: `absorb` (each row's queries into the latent's coordinates, one
/// product per head over all rows), `attend` (per sequence: the scores of all its rows and heads
/// against its latents in one product, the causal softmax, and the weighted sum of latents), and
/// `project` (the context back through `W_v`, one product per head over all rows).
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

    /// From this many rows (prefill) `absorb` uses OpenBLAS on `kv_b_proj` itself.
    static let absorbBLASRows = 16

    /// Floats `absorb` writes for `rows` rows: one `cachedWidth` query per row and head.
    public func absorbedCount(rows: Int) -> Int { rows * heads * shape.cachedWidth }
    /// Floats `attend` writes for `rows` rows: one `kvLoraRank` context per row and head.
    public func contextCount(rows: Int) -> Int { rows * heads * shape.kvLoraRank }
    /// Floats of scratch `attend` needs for `rows` rows of one sequence against `total` positions.
    public func scoresCount(rows: Int, total: Int) -> Int { rows * heads * total }

    /// Writes, for each of `rows` query rows `q` (head `h` at columns `h * queryHeadDim`: no-RoPE part
    /// then rotated part; leading dimension `ldQ`), `[q_nope W_k[h] | q_rope]` per head into
    /// `absorbed` (row `r`, head `h` at `(r * heads + h) * cachedWidth`). `keysTransposed` holds
    /// each head's `W_kᵀ` (`[heads * kvLoraRank, nope]`, `LatentWeights.keysTransposed`), which the
    /// few-row kernel reads without packing; from `absorbBLASRows` rows on, OpenBLAS multiplies by
    /// `W_k` in `kvB` directly.
    public func absorb(q: UnsafePointer<Float>, ldQ: Int, rows: Int, keysTransposed: UnsafePointer<Float>,
                       kvB: UnsafePointer<Float>, absorbed: UnsafeMutablePointer<Float>) {
        let (rank, nope, width) = (shape.kvLoraRank, shape.nopeHeadDim, shape.cachedWidth)
        for h in 0..<heads {
            let qHead = q + h * shape.queryHeadDim
            if rows >= Self.absorbBLASRows {
                GEMM.multiply(m: rows, n: rank, k: nope, a: qHead, lda: ldQ, b: kvB + h * (nope + shape.valueHeadDim) * rank,
                              ldb: rank, c: absorbed + h * width, ldc: heads * width)
            } else {
                GEMM.multiplyTransposed(m: rows, n: rank, k: nope, a: qHead, lda: ldQ, b: keysTransposed + h * rank * nope, ldb: nope,
                                        c: absorbed + h * width, ldc: heads * width)
            }
            for r in 0..<rows {
                (absorbed + (r * heads + h) * width + rank).update(from: qHead + r * ldQ + nope, count: shape.ropeHeadDim)
            }
        }
    }

    /// One sequence: its `rows` absorbed rows (from `absorb`) at positions `start...` attend causally
    /// to `latents` (`(start + rows) x cachedWidth`); writes each row's and head's softmax-weighted
    /// sum of latents into `context` (`contextCount(rows:)` floats, row `r`, head `h` at
    /// `(r * heads + h) * kvLoraRank`). A decode row (`rows` 1) makes no BLAS call and uses one
    /// thread, so several sequences' decode rows can attend concurrently.
    public func attend(absorbed: UnsafePointer<Float>, rows: Int, start: Int, latents: UnsafePointer<Float>,
                       context: UnsafeMutablePointer<Float>, scratch: Matrix) {
        let total = start + rows
        let (rank, width) = (shape.kvLoraRank, shape.cachedWidth)
        let queries = rows * heads
        scratch.resize(rows: scoresCount(rows: rows, total: total))
        let scores = scratch.base
        if rows == 1 {
            StreamingGEMM.multiplyTransposed(m: queries, n: total, k: width, a: absorbed, lda: width, b: latents, ldb: width,
                                             c: scores, ldc: total, threads: 1)
        } else {
            GEMM.multiplyTransposed(m: queries, n: total, k: width, a: absorbed, lda: width, b: latents, ldb: width, c: scores, ldc: total)
        }
        for query in 0..<queries {
            let row = scores + query * total
            let hi = start + query / heads + 1
            for j in 0..<hi { row[j] *= scale }
            Softmax.apply(row, count: hi)
            for j in hi..<total { row[j] = 0 }
        }
        if rows == 1 {
            // Decode: each latent row is read once and added to every head's context.
            context.update(repeating: 0, count: heads * rank)
            for j in 0..<total {
                let latent = latents + j * width
                for h in 0..<heads {
                    VectorOps.addScaled(latent, alpha: scores[h * total + j], into: context + h * rank, count: rank)
                }
            }
        } else {
            GEMM.multiply(m: queries, n: rank, k: total, a: scores, lda: total, b: latents, ldb: width, c: context, ldc: rank)
        }
    }

    /// Writes `rows x (heads * valueHeadDim)` outputs (leading dimension `ldOut`): each row's and
    /// head's context through that head's `W_v` rows of `kvB` (`kv_b_proj`,
    /// `[heads * (nope + v), kvLoraRank]`, row-major f32).
    public func project(context: UnsafePointer<Float>, rows: Int, kvB: UnsafePointer<Float>,
                        output: UnsafeMutablePointer<Float>, ldOut: Int) {
        let (rank, nope, value) = (shape.kvLoraRank, shape.nopeHeadDim, shape.valueHeadDim)
        for h in 0..<heads {
            let wv = kvB + (h * (nope + value) + nope) * rank
            GEMM.multiplyTransposed(m: rows, n: value, k: rank, a: context + h * rank, lda: heads * rank, b: wv, ldb: rank,
                                    c: output + h * value, ldc: ldOut)
        }
    }

    /// Each head's `W_k[h]ᵀ` (`[heads * kvLoraRank, nope]`) from `kv_b_proj`, for `absorb`.
    public static func keysTransposed(kvB: Matrix, shape: ModelConfig.LatentAttentionShape, heads: Int) -> Matrix {
        let (rank, nope, value) = (shape.kvLoraRank, shape.nopeHeadDim, shape.valueHeadDim)
        let out = Matrix(rows: heads * rank, cols: nope)
        for h in 0..<heads {
            let wk = kvB.base + h * (nope + value) * rank
            let dst = out.base + h * rank * nope
            for n in 0..<nope {
                for c in 0..<rank { dst[c * nope + n] = wk[n * rank + c] }
            }
        }
        return out
    }
}
