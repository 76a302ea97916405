import Testing
@testable import SwitchyardTensor

@Suite("GEMM against the naive reference")
struct GEMMTests {
    init() { BLAS.setThreads(1) }

    @Test("A · Bᵀ on odd shapes: one row, few rows (streaming kernel) and many (OpenBLAS)",
          arguments: [(1, 5, 7), (1, 33, 65), (2, 9, 5), (3, 17, 9), (17, 31, 64), (64, 1, 13), (70, 40, 33)])
    func transposed(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let a = randomMatrix(m, k, seed: 1)
        let b = randomMatrix(n, k, seed: 2)
        let c = Matrix(rows: 0, cols: n)
        GEMM.multiplyTransposed(a, b, into: c)
        #expect(c.rows == m)
        #expect(maxDifference(c, NaiveMatmul.multiplyTransposed(a, b)) < 1e-4)
    }

    @Test("accumulate adds to C (beta = 1), for one and several rows", arguments: [1, 2, 4])
    func accumulate(m: Int) {
        let a = randomMatrix(m, 11, seed: 3)
        let b = randomMatrix(6, 11, seed: 4)
        let c = randomMatrix(m, 6, seed: 5)
        let expected = NaiveMatmul.multiplyTransposed(a, b)
        for i in 0..<expected.count { expected.base[i] += c.base[i] }
        GEMM.multiplyTransposed(a, b, into: c, accumulate: true)
        #expect(maxDifference(c, expected) < 1e-4)
    }

    @Test("strided operands: leading dimensions larger than the columns used", arguments: [1, 2, 5])
    func strided(m: Int) {
        let big = randomMatrix(m, 20, seed: 6)
        let b = randomMatrix(4, 8, seed: 7)
        let out = Matrix(rows: m, cols: 10)
        // A = columns 3..<11 of big, C = columns 2..<6 of out.
        GEMM.multiplyTransposed(m: m, n: 4, k: 8, a: big.base + 3, lda: 20, b: b.base, ldb: 8, c: out.base + 2, ldc: 10)
        for i in 0..<m {
            for j in 0..<4 {
                var sum: Float = 0
                for p in 0..<8 { sum += big[i, 3 + p] * b[j, p] }
                #expect(abs(out[i, 2 + j] - sum) < 1e-4)
            }
            #expect(out[i, 0] == 0 && out[i, 7] == 0)
        }
    }

    @Test("A · B (no transpose) on odd shapes", arguments: [(1, 8, 3), (7, 9, 13)])
    func plain(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let a = randomMatrix(m, k, seed: 8)
        let b = randomMatrix(k, n, seed: 9)
        let c = Matrix(rows: m, cols: n)
        GEMM.multiply(m: m, n: n, k: k, a: a.base, lda: k, b: b.base, ldb: n, c: c.base, ldc: n)
        #expect(maxDifference(c, NaiveMatmul.multiply(a, b)) < 1e-4)
    }

    @Test("k = 0 gives zeros (beta 0) instead of calling BLAS with an empty inner dimension")
    func emptyInner() {
        let c = randomMatrix(2, 3, seed: 10)
        let dummy = Matrix(rows: 1, cols: 1)
        GEMM.multiplyTransposed(m: 2, n: 3, k: 0, a: dummy.base, lda: 1, b: dummy.base, ldb: 1, c: c.base, ldc: 3)
        #expect(c.toArray() == [Float](repeating: 0, count: 6))
    }
}
