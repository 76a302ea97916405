import CKernels
import Dispatch

/// `C = A · Bᵀ + beta · C` for a few rows of `A` (decode steps, small expert groups) without packing
/// the weight `B`.
///
/// OpenBLAS's gemm copies ("packs") the whole weight before multiplying; with few rows that copy
/// costs as much as the product, and its gemv re-reads the weight once per row. This kernel
/// (CKernels, AVX2+FMA) reads each weight row once and dots it with every row of `A`, which stays in
/// cache. The columns of `C` are cut into chunks that `BLAS.threadCount` threads claim. Each output depends only
/// on its own row of `A`, so a row's result does not change with the batch it is in.
public enum StreamingGEMM {
    /// Below this many weight floats (`n * k`) one thread does the whole product (splitting costs more).
    static let parallelThreshold = 1 << 16

    /// Columns of `C` per thread are a multiple of this (the kernel's tile width is 3 columns).
    static let columnGrain = 48

    /// Column chunks per thread: enough to rebalance around a preempted thread, few enough that each
    /// chunk still streams a long run of weight rows.
    static let chunksPerThread = 4

    /// Whether the AVX2+FMA kernel is in use (otherwise a portable loop).
    public static var usesAVX2: Bool { sy_kernels_use_avx2() != 0 }

    /// `C[m, n] = A[m, k] · B[n, k]ᵀ + beta · C`, row-major with leading dimensions in floats.
    public static func multiplyTransposed(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        beta: Float = 0,
        threads: Int = BLAS.threadCount
    ) {
        guard m > 0, n > 0 else { return }
        let tasks = min(max(1, threads), n / columnGrain)
        if tasks <= 1 || n * k < parallelThreshold {
            sy_sgemm_nt_columns(Int32(m), Int32(k), a, Int32(lda), b, Int32(ldb), c, Int32(ldc), beta, 0, Int32(n))
            return
        }
        // A few chunks per thread, claimed dynamically (ParallelFor), so a preempted thread's share
        // is taken over by the others instead of stalling the product.
        let chunks = min(n / columnGrain, tasks * chunksPerThread)
        let perChunk = ((n + chunks - 1) / chunks + columnGrain - 1) / columnGrain * columnGrain
        ParallelFor.run(count: (n + perChunk - 1) / perChunk, threads: tasks) { chunk, _ in
            let start = chunk * perChunk
            let end = min(n, start + perChunk)
            sy_sgemm_nt_columns(Int32(m), Int32(k), a, Int32(lda), b, Int32(ldb), c, Int32(ldc), beta,
                                Int32(start), Int32(end))
        }
    }
}
