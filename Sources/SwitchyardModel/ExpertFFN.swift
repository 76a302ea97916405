import SwitchyardTensor

/// One SwiGLU expert ready for grouped compute: gate and up fused into one `[2I, H]` weight so a
/// group of rows needs one matmul for both, then `down` `[H, I]`.
public final class ExpertFFN: @unchecked Sendable {
    /// `[2 * intermediate, hidden]`: the gate rows, then the up rows.
    public let gateUp: Matrix
    /// `[hidden, intermediate]`.
    public let down: Matrix
    public let intermediateSize: Int
    public let hiddenSize: Int

    public init(_ weights: ExpertFFNWeights) {
        gateUp = Matrix.stacked([weights.gate, weights.up])
        down = weights.down
        intermediateSize = weights.intermediateSize
        hiddenSize = weights.hiddenSize
    }

    /// Computes `output[r] = FFN(input[r])` for `rows` contiguous rows (leading dimension `hiddenSize`).
    /// `hidden` needs `rows * 2I` floats and `activated` `rows * I`. With `threads`, both products
    /// run on `StreamingGEMM` with that many threads (callers computing experts concurrently pass 1);
    /// without, `GEMM` picks the kernel and uses the BLAS threads.
    @inline(__always)
    public func compute(
        input: UnsafePointer<Float>, rows: Int, output: UnsafeMutablePointer<Float>,
        hidden: UnsafeMutablePointer<Float>, activated: UnsafeMutablePointer<Float>, threads: Int? = nil
    ) {
        let i = intermediateSize
        if let threads {
            StreamingGEMM.multiplyTransposed(m: rows, n: 2 * i, k: hiddenSize, a: input, lda: hiddenSize,
                                             b: gateUp.base, ldb: hiddenSize, c: hidden, ldc: 2 * i, threads: threads)
        } else {
            GEMM.multiplyTransposed(m: rows, n: 2 * i, k: hiddenSize, a: input, lda: hiddenSize,
                                    b: gateUp.base, ldb: hiddenSize, c: hidden, ldc: 2 * i)
        }
        SwiGLU.apply(gate: hidden, up: hidden + i, ldIn: 2 * i, output: activated, ldOut: i, rows: rows, cols: i)
        if let threads {
            StreamingGEMM.multiplyTransposed(m: rows, n: hiddenSize, k: i, a: activated, lda: i,
                                             b: down.base, ldb: i, c: output, ldc: hiddenSize, threads: threads)
        } else {
            GEMM.multiplyTransposed(m: rows, n: hiddenSize, k: i, a: activated, lda: i,
                                    b: down.base, ldb: i, c: output, ldc: hiddenSize)
        }
    }

    /// Bytes of weights held.
    public var byteCount: Int { (gateUp.count + down.count) * MemoryLayout<Float>.stride }
}
