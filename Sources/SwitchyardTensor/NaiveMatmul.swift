/// Plain triple-loop matrix products in double precision: the reference the BLAS paths are tested against.
public enum NaiveMatmul {
    /// `a[m, k] · b[n, k]ᵀ` as a new `[m, n]` matrix.
    public static func multiplyTransposed(_ a: Matrix, _ b: Matrix) -> Matrix {
        precondition(a.cols == b.cols, "inner dimensions differ")
        let c = Matrix(rows: a.rows, cols: b.rows)
        for i in 0..<a.rows {
            for j in 0..<b.rows {
                var sum = 0.0
                for p in 0..<a.cols { sum += Double(a[i, p]) * Double(b[j, p]) }
                c[i, j] = Float(sum)
            }
        }
        return c
    }

    /// `a[m, k] · b[k, n]` as a new `[m, n]` matrix.
    public static func multiply(_ a: Matrix, _ b: Matrix) -> Matrix {
        precondition(a.cols == b.rows, "inner dimensions differ")
        let c = Matrix(rows: a.rows, cols: b.cols)
        for i in 0..<a.rows {
            for j in 0..<b.cols {
                var sum = 0.0
                for p in 0..<a.cols { sum += Double(a[i, p]) * Double(b[p, j]) }
                c[i, j] = Float(sum)
            }
        }
        return c
    }
}
