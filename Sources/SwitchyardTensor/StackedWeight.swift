/// Weights of the same column count stacked top to bottom and kept each in its own format: one
/// `LinearWeight` whose product writes each part's outputs into its own columns of `C`.
///
/// A GGUF file may hold the tensors the engine fuses into one product in different formats (a
/// `Q4_K_M` file keeps `attn_q`/`attn_k` in q4_K and some `attn_v` in q6_K); with `--dtype auto`
/// each keeps its blocks and this puts them side by side. Each part's product is batch-invariant,
/// so the stack's is.
public final class StackedWeight: LinearWeight, @unchecked Sendable {
    // @unchecked: the parts are immutable after init.
    public let parts: [any LinearWeight]
    public let rows: Int
    public let cols: Int

    /// `parts` top to bottom; they must have the same column count.
    public init(_ parts: [any LinearWeight]) {
        precondition(!parts.isEmpty, "a stack needs at least one part")
        let cols = parts[0].cols
        precondition(parts.allSatisfy { $0.cols == cols }, "stacked weights must have the same number of columns")
        self.parts = parts
        self.cols = cols
        rows = parts.reduce(0) { $0 + $1.rows }
    }

    public var byteCount: Int { parts.reduce(0) { $0 + $1.byteCount } }

    /// The format of the part with the most rows (the first among equals): what most outputs use.
    public var format: WeightFormat {
        parts.max { $0.rows < $1.rows }!.format
    }

    public func product(m: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                        beta: Float, threads: Int) {
        var column = 0
        for part in parts {
            part.product(m: m, a: a, lda: lda, c: c + column, ldc: ldc, beta: beta, threads: threads)
            column += part.rows
        }
    }

    public func unpacked() -> Matrix {
        let matrix = Matrix(rows: rows, cols: cols)
        var row = 0
        for part in parts {
            let values = part.unpacked()
            (matrix.base + row * cols).update(from: values.base, count: part.rows * cols)
            row += part.rows
        }
        return matrix
    }
}
