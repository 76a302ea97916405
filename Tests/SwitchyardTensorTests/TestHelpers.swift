import Testing
import SwitchyardTensor

/// A reproducible random matrix for kernel tests.
func randomMatrix(_ rows: Int, _ cols: Int, seed: UInt64, scale: Float = 1) -> Matrix {
    var g = SeededGenerator(seed: seed)
    return Matrix.random(rows: rows, cols: cols, scale: scale, generator: &g)
}

/// The largest absolute elementwise difference of two equally shaped matrices.
func maxDifference(_ a: Matrix, _ b: Matrix) -> Float {
    precondition(a.rows == b.rows && a.cols == b.cols)
    var worst: Float = 0
    for i in 0..<a.count { worst = max(worst, abs(a.base[i] - b.base[i])) }
    return worst
}

/// Expects `c == before + A · Bᵀ` on the first `n` columns of its first `m` rows (using the first
/// `k` columns of `a` and `b`) and `c == before` on the columns past `n`, in double precision.
func expectAccumulated(_ c: Matrix, before: Matrix, a: Matrix, b: Matrix, m: Int, n: Int, k: Int,
                       sourceLocation: SourceLocation = #_sourceLocation) {
    for r in 0..<m {
        for j in 0..<c.cols {
            var expected = Double(before[r, j])
            if j < n {
                for p in 0..<k { expected += Double(a[r, p]) * Double(b[j, p]) }
            }
            #expect(abs(Double(c[r, j]) - expected) < 1e-3, "row \(r) column \(j)", sourceLocation: sourceLocation)
        }
    }
}
