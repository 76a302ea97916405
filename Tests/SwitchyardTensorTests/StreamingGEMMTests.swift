import Testing
@testable import SwitchyardTensor

@Suite("StreamingGEMM")
struct StreamingGEMMTests {
    @Test("A · Bᵀ matches the double-precision reference on odd shapes, one and two threads",
          arguments: [(1, 7, 5), (3, 200, 33), (4, 97, 64), (5, 301, 1031), (13, 150, 8), (32, 96, 100)], [1, 2])
    func matchesReference(shape: (Int, Int, Int), threads: Int) {
        let (m, n, k) = shape
        let a = randomMatrix(m, k, seed: 1)
        let b = randomMatrix(n, k, seed: 2)
        let c = Matrix(rows: m, cols: n)
        StreamingGEMM.multiplyTransposed(m: m, n: n, k: k, a: a.base, lda: k, b: b.base, ldb: k, c: c.base, ldc: n,
                                         threads: threads)
        #expect(maxDifference(c, NaiveMatmul.multiplyTransposed(a, b)) < 1e-4 * Float(k).squareRoot())
    }

    @Test("beta = 1 accumulates; leading dimensions larger than the columns used are respected")
    func stridedAccumulate() {
        let (m, n, k) = (6, 130, 70)
        let a = randomMatrix(m, k + 3, seed: 3)
        let b = randomMatrix(n, k + 5, seed: 4)
        let c = randomMatrix(m, n + 2, seed: 5)
        let before = c.copy()
        StreamingGEMM.multiplyTransposed(m: m, n: n, k: k, a: a.base, lda: k + 3, b: b.base, ldb: k + 5,
                                         c: c.base, ldc: n + 2, beta: 1, threads: 2)
        expectAccumulated(c, before: before, a: a, b: b, m: m, n: n, k: k)
    }

    @Test("a row's result does not depend on how many other rows are in the product")
    func rowsAreIndependent() {
        let (n, k) = (250, 515)
        let a = randomMatrix(32, k, seed: 6)
        let b = randomMatrix(n, k, seed: 7)
        let alone = Matrix(rows: 1, cols: n)
        StreamingGEMM.multiplyTransposed(m: 1, n: n, k: k, a: a.row(0), lda: k, b: b.base, ldb: k, c: alone.base, ldc: n)
        for m in [2, 3, 5, 17, 32] {
            let c = Matrix(rows: m, cols: n)
            StreamingGEMM.multiplyTransposed(m: m, n: n, k: k, a: a.base, lda: k, b: b.base, ldb: k, c: c.base, ldc: n,
                                             threads: 2)
            for j in 0..<n { #expect(c[0, j] == alone[0, j], "m \(m) column \(j)") }
        }
    }

    @Test("GEMM routes few rows to the streaming kernel and agrees with OpenBLAS on more", arguments: [1, 8, 64, 65, 80])
    func gemmAgreesWithBLAS(m: Int) {
        let (n, k) = (120, 96)
        let a = randomMatrix(m, k, seed: 8)
        let b = randomMatrix(n, k, seed: 9)
        let viaGEMM = Matrix(rows: m, cols: n)
        let viaBLAS = Matrix(rows: m, cols: n)
        GEMM.multiplyTransposed(m: m, n: n, k: k, a: a.base, lda: k, b: b.base, ldb: k, c: viaGEMM.base, ldc: n)
        GEMM.blasMultiplyTransposed(m: m, n: n, k: k, a: a.base, lda: k, b: b.base, ldb: k, c: viaBLAS.base, ldc: n)
        #expect(maxDifference(viaGEMM, viaBLAS) < 1e-3)
    }
}

@Suite("KernelBenchmark")
struct KernelBenchmarkTests {
    @Test("one result per shape and row count, with positive throughputs")
    func measuresEveryPoint() {
        let results = KernelBenchmark.run(rows: [1, 4], shapes: [(n: 96, k: 64), (n: 50, k: 40)], threads: 1,
                                          seconds: 0.01, cacheBytes: 1 << 16)
        #expect(results.map { [$0.rows, $0.n, $0.k] } == [[1, 96, 64], [4, 96, 64], [1, 50, 40], [4, 50, 40]])
        #expect(results.allSatisfy { $0.blasGFLOPS > 0 && $0.streamingGFLOPS > 0 && $0.streamingWeightGBS > 0 })
        #expect(results.allSatisfy { $0.packedGFLOPS > 0 && $0.packedWeightGBS > 0 })
    }
}
