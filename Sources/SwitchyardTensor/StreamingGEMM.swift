import CKernels
import Dispatch

/// `C = A · Bᵀ + beta · C` for a few rows of `A` (decode steps, small expert groups) without packing
/// the weight `B`.
///
/// OpenBLAS's gemm copies ("packs") the whole weight before multiplying; with few rows that copy
/// costs as much as the product, and its gemv re-reads the weight once per row. This kernel
/// (CKernels, AVX2+FMA) reads each weight row once and dots it with every row of `A`, which stays in
/// cache. The columns of `C` are split across `BLAS.threadCount` threads. Each output depends only
/// on its own row of `A`, so a row's result does not change with the batch it is in.
public enum StreamingGEMM {
    /// Below this many weight floats (`n * k`) one thread does the whole product (splitting costs more).
    static let parallelThreshold = 1 << 16

    /// Columns of `C` per thread are a multiple of this (the kernel's tile width is 3 columns).
    static let columnGrain = 48

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
        let perTask = ((n + tasks - 1) / tasks + columnGrain - 1) / columnGrain * columnGrain
        // Raw addresses cross into the concurrent closure; every task writes disjoint columns of C.
        let addresses = (a: UInt(bitPattern: a), b: UInt(bitPattern: b), c: UInt(bitPattern: c))
        DispatchQueue.concurrentPerform(iterations: tasks) { t in
            let start = t * perTask
            let end = min(n, start + perTask)
            guard start < end,
                  let a = UnsafePointer<Float>(bitPattern: addresses.a),
                  let b = UnsafePointer<Float>(bitPattern: addresses.b),
                  let c = UnsafeMutablePointer<Float>(bitPattern: addresses.c) else { return }
            sy_sgemm_nt_columns(Int32(m), Int32(k), a, Int32(lda), b, Int32(ldb), c, Int32(ldc), beta,
                                Int32(start), Int32(end))
        }
    }
}
