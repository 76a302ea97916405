/// Root-mean-square normalisation as in transformers' `*RMSNorm`: `w * x / sqrt(mean(x²) + eps)`, in f32.
public enum RMSNorm {
    /// Normalises `rows` rows of `cols` floats from `input` (leading dimension `ldIn`) into `output`
    /// (leading dimension `ldOut`; may equal `input` for in place), scaling by `weight`.
    @inline(__always)
    public static func apply(
        input: UnsafePointer<Float>, ldIn: Int,
        output: UnsafeMutablePointer<Float>, ldOut: Int,
        rows: Int, cols: Int,
        weight: UnsafePointer<Float>, eps: Float
    ) {
        for r in 0..<rows {
            let x = input + r * ldIn
            let y = output + r * ldOut
            let meanSquare = VectorOps.dot(x, x, count: cols) / Float(cols)
            let inverse = 1 / (meanSquare + eps).squareRoot()
            for i in 0..<cols { y[i] = weight[i] * (x[i] * inverse) }
        }
    }
}
