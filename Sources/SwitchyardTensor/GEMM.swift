import COpenBLAS

/// Matrix products through OpenBLAS on raw row-major pointers.
///
/// Products of activations with activations (attention's queries · cached keys, probabilities ·
/// values): `C = A · Bᵀ` with `B` `[n, k]` row-major, as a KV cache stores keys. Up to
/// `streamingRowLimit` rows take `StreamingGEMM`, which reads `B` once without gemm's packing
/// (decode queries); more rows take OpenBLAS's sgemm. Weights go through `PackedWeight` instead,
/// packed once at load.
public enum GEMM {
    /// Up to this many rows of `A`, `A · Bᵀ` runs on `StreamingGEMM`: OpenBLAS's gemm packs `B`
    /// first, which for few rows costs as much as the product. Set once at start-up, before any
    /// product runs (`switchyard perf --streaming-rows` compares limits; 0 sends everything to OpenBLAS).
    nonisolated(unsafe) public static var streamingRowLimit = defaultStreamingRowLimit

    /// The measured default of `streamingRowLimit`.
    public static let defaultStreamingRowLimit = 64

    /// `C[m, n] = A[m, k] · B[n, k]ᵀ + beta · C`, all row-major with leading dimensions in floats.
    @inline(__always)
    public static func multiplyTransposed(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        beta: Float = 0
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            scaleRows(c, rows: m, cols: n, ldc: ldc, beta: beta)
            return
        }
        if m <= streamingRowLimit {
            StreamingGEMM.multiplyTransposed(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, beta: beta)
        } else {
            blasMultiplyTransposed(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, beta: beta)
        }
    }

    /// `C = A · Bᵀ + beta · C` always through OpenBLAS (sgemv for one row, sgemm otherwise); `k > 0`.
    @inline(__always)
    public static func blasMultiplyTransposed(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        beta: Float = 0
    ) {
        if m == 1 {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), 1, b, Int32(ldb), a, 1, beta, c, 1)
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                        1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        }
    }

    /// `C[m, n] = A[m, k] · B[k, n] + beta · C`, all row-major (used for attention's `P · V`).
    @inline(__always)
    public static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        beta: Float = 0
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            scaleRows(c, rows: m, cols: n, ldc: ldc, beta: beta)
            return
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                    1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `c = a · bᵀ` (or `c += a · bᵀ` when `accumulate`) on whole matrices; `c` is resized to `a.rows`.
    public static func multiplyTransposed(_ a: Matrix, _ b: Matrix, into c: Matrix, accumulate: Bool = false) {
        precondition(a.cols == b.cols, "inner dimensions differ: \(a.cols) vs \(b.cols)")
        precondition(c.cols == b.rows, "output has \(c.cols) columns, expected \(b.rows)")
        if accumulate {
            precondition(c.rows == a.rows, "accumulating into \(c.rows) rows, expected \(a.rows)")
        } else {
            c.resize(rows: a.rows)
        }
        multiplyTransposed(m: a.rows, n: b.rows, k: a.cols, a: a.base, lda: a.cols, b: b.base, ldb: b.cols,
                           c: c.base, ldc: c.cols, beta: accumulate ? 1 : 0)
    }

    private static func scaleRows(_ c: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ldc: Int, beta: Float) {
        for r in 0..<rows {
            let row = c + r * ldc
            for j in 0..<cols { row[j] = beta == 0 ? 0 : row[j] * beta }
        }
    }
}
