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
