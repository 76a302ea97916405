import Dispatch
import Foundation

/// Measures the two limits an inference engine on CPUs runs into: matmul throughput (compute bound,
/// prefill and large batches) and memory read bandwidth (batch-1 decode streams every active weight).
public enum MachineLimits {
    /// Best sgemm throughput in GFLOP/s of `repeats` square `size x size` products on the current
    /// BLAS thread count.
    public static func sgemmGFLOPS(size: Int = 1536, repeats: Int = 3) -> Double {
        let a = Matrix(rows: size, cols: size)
        let b = Matrix(rows: size, cols: size)
        let c = Matrix(rows: size, cols: size)
        var seed: UInt64 = 12345
        for i in 0..<(size * size) {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            a.base[i] = Float(Int64(bitPattern: seed >> 11) % 2000) / 1000 - 1
            b.base[i] = a.base[i] * 0.5
        }
        GEMM.multiplyTransposed(a, b, into: c)  // warm up (thread pool, page faults)
        var best = Double.infinity
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            GEMM.multiplyTransposed(a, b, into: c)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = min(best, seconds)
        }
        return 2 * Double(size) * Double(size) * Double(size) / best / 1e9
    }

    /// Best memory read bandwidth in GB/s (1e9 bytes) streaming a `megabytes` buffer (far larger than
    /// the caches) with `threads` threads, each summing its slice with SIMD loads.
    public static func memoryReadGBS(megabytes: Int = 512, threads: Int = 2, repeats: Int = 3) -> Double {
        let count = megabytes * (1 << 20) / MemoryLayout<Float>.stride
        let buffer = Matrix(rows: 1, cols: count)
        for i in stride(from: 0, to: count, by: 1024) { buffer.base[i] = Float(i & 7) }
        let workers = max(1, threads)
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: workers)
        defer { sums.deallocate() }
        let base = UnsafePointer(buffer.base)
        let pointerBox = PointerBox(base: base, sums: sums)
        var best = Double.infinity
        for _ in 0..<(max(1, repeats) + 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let chunk = (count / workers) & ~31
                let begin = worker * chunk
                let end = worker == workers - 1 ? count : begin + chunk
                pointerBox.sums[worker] = sum(pointerBox.base + begin, count: end - begin)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = min(best, seconds)
        }
        var total: Float = 0
        for w in 0..<workers { total += sums[w] }
        if total.isNaN { print("unreachable: \(total)") }  // keeps the reads observable
        return Double(count * MemoryLayout<Float>.stride) / best / 1e9
    }

    private struct PointerBox: @unchecked Sendable {
        let base: UnsafePointer<Float>
        let sums: UnsafeMutablePointer<Float>
    }

    private static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var a0 = SIMD8<Float>(repeating: 0), a1 = a0, a2 = a0, a3 = a0
        var i = 0
        let raw = UnsafeRawPointer(x)
        while i + 32 <= count {
            a0 += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            a1 += raw.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self)
            a2 += raw.loadUnaligned(fromByteOffset: i * 4 + 64, as: SIMD8<Float>.self)
            a3 += raw.loadUnaligned(fromByteOffset: i * 4 + 96, as: SIMD8<Float>.self)
            i += 32
        }
        var s = (a0 + a1 + a2 + a3).sum()
        while i < count { s += x[i]; i += 1 }
        return s
    }
}
