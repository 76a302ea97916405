/// The three projections of a Mixtral expert (`block_sparse_moe.experts.E.w1/w2/w3`).
public enum MixtralProjection: String, Sendable, CaseIterable {
    /// gate_proj, [intermediate, hidden].
    case w1
    /// down_proj, [hidden, intermediate].
    case w2
    /// up_proj, [intermediate, hidden].
    case w3
}

/// One upcycled MoE layer: its router and its experts, produced from the dense layer's FFN.
public protocol UpcycleLayerPlan {
    /// The router (`block_sparse_moe.gate.weight`), [experts, hidden] row-major.
    func routerWeight() -> [Float]
    /// Projection `projection` of `expert`, row-major in its Mixtral shape.
    func expertWeight(_ expert: Int, _ projection: MixtralProjection) -> [Float]
}

/// Router rows scaled so that their logits on a normalised hidden state have a chosen spread.
///
/// The router sees `y = RMSNorm(h) * g` (g the post-attention norm weight), whose entries are
/// roughly `g_j * z_j` with `z_j` of unit variance, so row `r` gives logits of standard deviation
/// about `|r * g|`. Each row is rescaled to make that `targetStd`.
enum RouterScaling {
    static func scale(rows: inout [Float], experts: Int, norm: [Float], targetStd: Float) {
        let hidden = norm.count
        for e in 0..<experts {
            var sum: Float = 0
            for j in 0..<hidden {
                let value = rows[e * hidden + j] * norm[j]
                sum += value * value
            }
            let scale: Float = sum > 0 ? targetStd / sum.squareRoot() : 0
            for j in 0..<hidden { rows[e * hidden + j] *= scale }
        }
    }
}
