import Dispatch

/// Times `A · Bᵀ` on OpenBLAS, `StreamingGEMM` (unpacked weights) and `PackedWeight` for given row
/// counts and weight shapes (`switchyard perf --kernels`): the measurement behind the engine
/// multiplying every weight through `PackedWeight`.
///
/// Each shape rotates through enough distinct weight copies to exceed the last-level cache, as a
/// model's layers do, so the numbers include reading the weights from memory.
public enum KernelBenchmark {
    /// One row count on one weight shape.
    public struct Result: Sendable, Equatable {
        public var rows: Int
        public var n: Int
        public var k: Int
        public var blasGFLOPS: Double
        public var streamingGFLOPS: Double
        /// Weight bytes the streaming kernel read per second, in GB/s.
        public var streamingWeightGBS: Double
        public var packedGFLOPS: Double
        /// Weight bytes the packed kernel read per second, in GB/s.
        public var packedWeightGBS: Double
    }

    /// The weight shapes of the bench preset: fused gate-up, down, fused qkv, head.
    public static let benchShapes: [(n: Int, k: Int)] = [(4096, 1024), (1024, 2048), (1536, 1024), (32000, 1024)]

    /// Measures every `rows` on every shape, each for about `seconds`, with `threads` threads.
    public static func run(rows: [Int], shapes: [(n: Int, k: Int)] = benchShapes, threads: Int,
                           seconds: Double = 0.25, cacheBytes: Int = 96 << 20) -> [Result] {
        var results: [Result] = []
        for shape in shapes {
            let copies = max(2, cacheBytes / (shape.n * shape.k * MemoryLayout<Float>.stride))
            var g = SeededGenerator(seed: UInt64(shape.n * 31 + shape.k))
            let weights = (0..<copies).map { _ in Matrix.random(rows: shape.n, cols: shape.k, scale: 0.1, generator: &g) }
            let packed = weights.map(PackedWeight.init)
            let maxRows = rows.max() ?? 1
            let a = Matrix.random(rows: maxRows, cols: shape.k, scale: 1, generator: &g)
            let c = Matrix(rows: maxRows, cols: shape.n)
            for m in rows where m > 0 {
                let flops = 2 * Double(m) * Double(shape.n) * Double(shape.k)
                let blas = time(seconds, copies) { w in
                    GEMM.blasMultiplyTransposed(m: m, n: shape.n, k: shape.k, a: a.base, lda: shape.k,
                                                b: weights[w].base, ldb: shape.k, c: c.base, ldc: shape.n)
                }
                let streaming = time(seconds, copies) { w in
                    StreamingGEMM.multiplyTransposed(m: m, n: shape.n, k: shape.k, a: a.base, lda: shape.k,
                                                     b: weights[w].base, ldb: shape.k, c: c.base, ldc: shape.n,
                                                     threads: threads)
                }
                let packedTime = time(seconds, copies) { w in
                    packed[w].multiply(m: m, a: a.base, lda: shape.k, c: c.base, ldc: shape.n, threads: threads)
                }
                let weightBytes = Double(shape.n * shape.k * MemoryLayout<Float>.stride)
                results.append(Result(rows: m, n: shape.n, k: shape.k, blasGFLOPS: flops / blas / 1e9,
                                      streamingGFLOPS: flops / streaming / 1e9,
                                      streamingWeightGBS: weightBytes / streaming / 1e9,
                                      packedGFLOPS: flops / packedTime / 1e9,
                                      packedWeightGBS: weightBytes / packedTime / 1e9))
            }
        }
        return results
    }

    /// Median seconds of one call, calling `body` with a rotating weight index for about `seconds`.
    private static func time(_ seconds: Double, _ copies: Int, _ body: (Int) -> Void) -> Double {
        body(0)
        var samples: [Double] = []
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        var w = 1
        repeat {
            let start = DispatchTime.now().uptimeNanoseconds
            body(w % copies)
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            w += 1
        } while DispatchTime.now().uptimeNanoseconds < deadline || samples.count < 3
        samples.sort()
        return samples[samples.count / 2]
    }
}
