import CKernels
import Foundation

/// The gated activation of every expert: `silu(gate) * up`, with `silu(x) = x / (1 + e^-x)`
/// (vectorised exponentials in `CKernels`).
public enum SwiGLU {
    /// For each of `rows` rows: `output[i] = silu(gate[i]) * up[i]` for `cols` elements.
    /// `gate` and `up` may live in one fused row (`[gate | up]`), hence separate leading dimensions.
    @inline(__always)
    public static func apply(
        gate: UnsafePointer<Float>, up: UnsafePointer<Float>, ldIn: Int,
        output: UnsafeMutablePointer<Float>, ldOut: Int,
        rows: Int, cols: Int
    ) {
        for r in 0..<rows {
            sy_swiglu(gate + r * ldIn, up + r * ldIn, output + r * ldOut, Int32(cols))
        }
    }

    /// `silu(x)` for one value (for tests and scalar paths).
    @inline(__always)
    public static func silu(_ x: Float) -> Float { x / (1 + expf(-x)) }
}
