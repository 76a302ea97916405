import Foundation
import SwitchyardTensor

/// The gated activation between an expert's gate-up and down products.
public enum ExpertActivation: Sendable, Equatable {
    /// `silu(gate) * up` (every family but gpt_oss).
    case swiglu
    /// gpt_oss's clamped SwiGLU (`GptOssExperts._apply_gate`): `gate` clamped above at `limit`, `up`
    /// to `[-limit, limit]`, then `(up + 1) * gate * sigmoid(alpha * gate)`.
    case clampedSwiGLU(alpha: Float, limit: Float)

    /// For each of `rows` rows: `output[i] = act(gate[i], up[i])` for `cols` elements; `gate` and
    /// `up` may live in one fused row (`[gate | up]`), hence separate leading dimensions.
    @inline(__always)
    public func apply(
        gate: UnsafePointer<Float>, up: UnsafePointer<Float>, ldIn: Int,
        output: UnsafeMutablePointer<Float>, ldOut: Int, rows: Int, cols: Int
    ) {
        switch self {
        case .swiglu:
            SwiGLU.apply(gate: gate, up: up, ldIn: ldIn, output: output, ldOut: ldOut, rows: rows, cols: cols)
        case let .clampedSwiGLU(alpha, limit):
            for r in 0..<rows {
                let g = gate + r * ldIn
                let u = up + r * ldIn
                let out = output + r * ldOut
                for i in 0..<cols {
                    let x = min(g[i], limit)
                    let y = min(max(u[i], -limit), limit)
                    out[i] = (y + 1) * x / (1 + expf(-alpha * x))
                }
            }
        }
    }
}
