/// A weight `W[rows, cols]` (nn.Linear's `[out, in]`) the engine multiplies by: `C = A · Wᵀ`.
///
/// `PackedWeight` (f32 panels) and `BlockWeight` (bf16 and ggml block formats) conform, so every
/// product of the model (experts, attention, gates, head) takes whichever format was loaded. A
/// loader holding raw ggml block bytes (a GGUF tensor) builds one with
/// `BlockWeight(format:rows:cols:bytes:)`. Both products are batch-invariant.
public protocol LinearWeight: AnyObject, Sendable {
    /// Output features (`n`).
    var rows: Int { get }
    /// Input features (`k`).
    var cols: Int { get }
    /// Bytes held.
    var byteCount: Int { get }
    /// The storage format (`.f32` for packed panels).
    var format: WeightFormat { get }
    /// `C[m, rows] = A[m, cols] · Wᵀ + beta · C`, `A` and `C` row-major with leading dimensions
    /// in floats, on up to `threads` threads. A row's result does not depend on `m` or `threads`.
    func product(m: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                 beta: Float, threads: Int)
    /// `W` as an f32 matrix (exact; tests and checks, not hot paths).
    func unpacked() -> Matrix
    /// A copy in the same format of rows `rows` (ranges stacked in order), columns `columns`: part
    /// of an expert for a worker that holds a slice of it. Block formats cut on block boundaries.
    func sliced(rows: [Range<Int>], columns: Range<Int>) throws(WeightSliceError) -> any LinearWeight
}

extension LinearWeight {
    /// `C = A · Wᵀ` with `beta` 0 on `BLAS.threadCount` threads unless given.
    @inline(__always)
    public func multiply(m: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                         beta: Float = 0, threads: Int = BLAS.threadCount) {
        product(m: m, a: a, lda: lda, c: c, ldc: ldc, beta: beta, threads: threads)
    }

    /// `c = a · Wᵀ` (or `c += a · Wᵀ` when `accumulate`) on whole matrices; `c` is resized to `a.rows`.
    public func multiply(_ a: Matrix, into c: Matrix, accumulate: Bool = false, threads: Int = BLAS.threadCount) {
        precondition(a.cols == cols, "inner dimensions differ: \(a.cols) vs \(cols)")
        precondition(c.cols == rows, "output has \(c.cols) columns, expected \(rows)")
        if accumulate {
            precondition(c.rows == a.rows, "accumulating into \(c.rows) rows, expected \(a.rows)")
        } else {
            c.resize(rows: a.rows)
        }
        product(m: a.rows, a: a.base, lda: a.cols, c: c.base, ldc: c.cols, beta: accumulate ? 1 : 0, threads: threads)
    }
}

extension PackedWeight: LinearWeight {
    public var format: WeightFormat { .f32 }

    @inline(__always)
    public func product(m: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                        beta: Float, threads: Int) {
        multiply(m: m, a: a, lda: lda, c: c, ldc: ldc, beta: beta, threads: threads)
    }
}

extension BlockWeight: LinearWeight {
    @inline(__always)
    public func product(m: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                        beta: Float, threads: Int) {
        multiply(m: m, a: a, lda: lda, c: c, ldc: ldc, beta: beta, threads: threads, scratch: nil)
    }

    public func unpacked() -> Matrix {
        let matrix = Matrix(rows: rows, cols: cols)
        for r in 0..<rows { dequantize(row: r, into: matrix.base + r * cols) }
        return matrix
    }
}
