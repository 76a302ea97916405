import Testing
@testable import SwitchyardTensor

@Suite("PackedWeight")
struct PackedWeightTests {
    @Test("A · Wᵀ matches the double-precision reference: partial panels, several depth slices, row blocks",
          arguments: [(1, 7, 5), (1, 128, 300), (1, 200, 33), (2, 97, 64), (5, 301, 1031), (8, 64, 257),
                      (13, 150, 8), (32, 96, 100), (100, 50, 520), (197, 33, 70), (2, 64, 520), (3, 100, 77), (200, 130, 600)], [1, 2, 3])
    func matchesReference(shape: (Int, Int, Int), threads: Int) {
        let (m, n, k) = shape
        let a = randomMatrix(m, k, seed: 1)
        let w = randomMatrix(n, k, seed: 2)
        let c = Matrix(rows: m, cols: n)
        PackedWeight(w).multiply(a, into: c, threads: threads)
        #expect(maxDifference(c, NaiveMatmul.multiplyTransposed(a, w)) < 1e-4 * Float(k).squareRoot())
    }

    @Test("packing keeps every element; stacked parts follow one another")
    func packingRoundTrips() {
        let top = randomMatrix(21, 9, seed: 3)
        let middle = Matrix(rows: 0, cols: 9)
        let bottom = randomMatrix(14, 9, seed: 4)
        let packed = PackedWeight(stacking: [top, middle, bottom])
        #expect(packed.rows == 35 && packed.cols == 9 && packed.panelCount == 3)
        #expect(packed.byteCount == 3 * 16 * 9 * 4)
        let expected = Matrix.stacked([top, bottom])
        #expect(packed.unpacked().toArray() == expected.toArray())
        #expect(packed[34, 8] == bottom[13, 8])
    }

    @Test("beta = 1 accumulates; leading dimensions larger than the columns used are respected", arguments: [1, 2, 3, 6, 40])
    func stridedAccumulate(m: Int) {
        let (n, k) = (130, 300)
        let a = randomMatrix(m, k + 3, seed: 5)
        let w = randomMatrix(n, k, seed: 6)
        let c = randomMatrix(m, n + 2, seed: 7)
        let before = c.copy()
        PackedWeight(w).multiply(m: m, a: a.base, lda: k + 3, c: c.base, ldc: n + 2, beta: 1, threads: 2)
        expectAccumulated(c, before: before, a: a, b: w, m: m, n: n, k: k)
    }

    @Test("a row's result is bit for bit the same whatever the other rows and the thread count")
    func rowsAreIndependent() {
        let (n, k) = (250, 515)
        let a = randomMatrix(230, k, seed: 8)
        let packed = PackedWeight(randomMatrix(n, k, seed: 9))
        let alone = Matrix(rows: 1, cols: n)
        packed.multiply(m: 1, a: a.row(0), lda: k, c: alone.base, ldc: n, threads: 1)
        for (m, threads) in [(2, 1), (3, 2), (5, 2), (8, 3), (17, 2), (97, 2), (130, 1), (230, 2)] {
            let c = Matrix(rows: m, cols: n)
            packed.multiply(m: m, a: a.base, lda: k, c: c.base, ldc: n, threads: threads)
            for j in 0..<n { #expect(c[0, j] == alone[0, j], "m \(m) column \(j)") }
        }
        // Row 100 in a block that starts at row 96 matches row 100 computed alone too, when the
        // threads split panels (130 rows) and when they split rows (230 rows).
        let big = Matrix(rows: 130, cols: n)
        packed.multiply(m: 130, a: a.base, lda: k, c: big.base, ldc: n, threads: 2)
        packed.multiply(m: 1, a: a.row(100), lda: k, c: alone.base, ldc: n, threads: 2)
        for j in 0..<n { #expect(big[100, j] == alone[0, j], "column \(j)") }
        let bigger = Matrix(rows: 230, cols: n)
        packed.multiply(a, into: bigger, threads: 2)
        for j in 0..<n { #expect(bigger[100, j] == alone[0, j], "column \(j)") }
    }

    @Test("zero depth gives zeros, or scales C by beta")
    func zeroDepth() {
        let packed = PackedWeight(Matrix(rows: 5, cols: 0))
        let c = Matrix(rows: 2, cols: 5, values: [Float](repeating: 2, count: 10))
        let a = Matrix(rows: 2, cols: 0)
        packed.multiply(m: 2, a: a.base, lda: 0, c: c.base, ldc: 5, beta: 0.5)
        #expect(c.toArray() == [Float](repeating: 1, count: 10))
        packed.multiply(m: 2, a: a.base, lda: 0, c: c.base, ldc: 5)
        #expect(c.toArray() == [Float](repeating: 0, count: 10))
    }
}

@Suite("PackedWeight filled by a loader")
struct PackedWeightFillTests {
    struct Stop: Error {}

    @Test("rows arrive a panel at a time, in order, and land where the row-major weight has them")
    func fillsPanelByPanel() {
        var calls: [[Int]] = []
        let packed = PackedWeight(rows: 37, cols: 5) { first, count, destination in
            calls.append([first, count])
            for r in 0..<count {
                for c in 0..<5 { destination[r * 5 + c] = Float((first + r) * 10 + c) }
            }
        }
        #expect(calls == [[0, 16], [16, 16], [32, 5]])
        #expect(packed[36, 4] == 364 && packed[17, 0] == 170)
    }

    @Test("a loader's error stops packing and is rethrown")
    func fillErrorPropagates() {
        #expect(throws: Stop.self) {
            _ = try PackedWeight(rows: 40, cols: 3) { first, count, destination in
                if first >= 16 { throw Stop() }
                destination.update(repeating: 0, count: count * 3)
            }
        }
    }
}

@Suite("PackedWeight kernel paths")
struct PackedWeightPathTests {
    /// The avx512 kernels (two panels per pass, 16-lane accumulators) keep avx2's one chain of
    /// fused multiply-adds per output in k order, so the two give the same bits: with 1-3 rows (the
    /// few-row kernels), many rows in blocks, odd and even panel counts per thread, partial last
    /// panels, several depth slices, and beta 0 and 1. The portable loop adds in the same order
    /// without fusing, so it is held to the double-precision reference like every path. Forced
    /// paths are process-wide, so this runs in a child process (an exit test).
    @Test("the avx512 and avx2 kernels give the same bits; every path matches the reference")
    func pathsAgreeBitForBit() async {
        await #expect(processExitsWith: .success) {
            for (n, k) in [(16, 7), (33, 300), (64, 257), (100, 520), (130, 64)] {
                let w = PackedWeight(randomMatrix(n, k, seed: UInt64(n * 7 + k)))
                for m in [1, 2, 3, 4, 6, 7, 13, 97, 200] {
                    let a = randomMatrix(m, k, seed: UInt64(m * 31 + k))
                    let start = randomMatrix(m, n, seed: 99)
                    var results: [[[UInt32]]] = []
                    for path in KernelPath.available {
                        KernelPath.force(path)
                        var perPath: [[UInt32]] = []
                        for (beta, threads) in [(Float(0), 1), (1, 2), (0, 3)] {
                            let c = start.copy()
                            w.multiply(m: m, a: a.base, lda: k, c: c.base, ldc: n, beta: beta, threads: threads)
                            perPath.append(c.toArray().map(\.bitPattern))
                        }
                        results.append(perPath)
                    }
                    let paths = KernelPath.available
                    if let avx2 = paths.firstIndex(of: .avx2), let avx512 = paths.firstIndex(of: .avx512) {
                        #expect(results[avx512] == results[avx2], "avx512 against avx2: m \(m) n \(n) k \(k)")
                    }
                    let exact = NaiveMatmul.multiplyTransposed(a, w.unpacked())
                    for path in paths {
                        KernelPath.force(path)
                        let c = Matrix(rows: m, cols: n)
                        w.multiply(a, into: c, threads: 2)
                        #expect(maxDifference(c, exact) < 1e-4 * Float(k).squareRoot(), "\(path.name) m \(m) n \(n) k \(k)")
                    }
                }
            }
        }
    }
}
