import SwitchyardTensor

/// One SwiGLU expert ready for grouped compute: gate and up fused into one `[2I, H]` weight so a
/// group of rows needs one matmul for both, then `down` `[H, I]`.
public final class ExpertFFN: @unchecked Sendable {
    /// `[2 * intermediate, hidden]`: the gate rows, then the up rows.
    public let gateUp: any LinearWeight
    /// `[hidden, intermediate]`.
    public let down: any LinearWeight
    public let intermediateSize: Int
    public let hiddenSize: Int

    /// An expert from weights already in their compute format (packed f32 or blocks): `gateUp` `[2I, H]` (gate rows, then up rows) and
    /// `down` `[H, I]`.
    public init(gateUp: any LinearWeight, down: any LinearWeight) {
        precondition(gateUp.rows % 2 == 0 && down.rows == gateUp.cols && down.cols == gateUp.rows / 2,
                     "gate-up must be [2I, H] and down [H, I]")
        self.gateUp = gateUp
        self.down = down
        intermediateSize = down.cols
        hiddenSize = down.rows
    }

    public convenience init(_ weights: ExpertFFNWeights) {
        self.init(gateUp: PackedWeight(stacking: [weights.gate, weights.up]), down: PackedWeight(weights.down))
    }

    /// Computes `output[r] = FFN(input[r])` for `rows` contiguous rows (leading dimension `hiddenSize`).
    /// `hidden` needs `rows * 2I` floats and `activated` `rows * I`. Both products use `threads`
    /// threads (callers computing experts concurrently pass 1), by default the BLAS thread count.
    @inline(__always)
    public func compute(
        input: UnsafePointer<Float>, rows: Int, output: UnsafeMutablePointer<Float>,
        hidden: UnsafeMutablePointer<Float>, activated: UnsafeMutablePointer<Float>, threads: Int? = nil
    ) {
        let i = intermediateSize
        let threads = threads ?? BLAS.threadCount
        gateUp.multiply(m: rows, a: input, lda: hiddenSize, c: hidden, ldc: 2 * i, threads: threads)
        SwiGLU.apply(gate: hidden, up: hidden + i, ldIn: 2 * i, output: activated, ldOut: i, rows: rows, cols: i)
        down.multiply(m: rows, a: activated, lda: i, c: output, ldc: hiddenSize, threads: threads)
    }

    /// Bytes of weights held.
    public var byteCount: Int { gateUp.byteCount + down.byteCount }
}
