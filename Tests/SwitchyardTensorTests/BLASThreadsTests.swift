import Foundation
import Testing
import SwitchyardTensor

/// `BLAS.stopPollingThreads`, which every `switchyard` command calls first. In child processes
/// (exit tests): stopping OpenBLAS's pool while another suite's product runs would break it.
@Suite("OpenBLAS's polling threads")
struct BLASThreadsTests {
    /// A 97 x 83 x 71 product through OpenBLAS on `threads` threads against a float64 reference.
    static func productIsRight(threads: Int) -> Bool {
        BLAS.setThreads(threads)
        let (m, n, k) = (97, 83, 71)
        let a = (0..<(m * k)).map { Float(($0 * 7919) % 23) / 11 - 1 }
        let b = (0..<(n * k)).map { Float(($0 * 104729) % 19) / 9 - 1 }
        var c = [Float](repeating: .nan, count: m * n)
        GEMM.blasMultiplyTransposed(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, c: &c, ldc: n)
        for i in 0..<m {
            for j in 0..<n {
                var exact = 0.0
                for p in 0..<k { exact += Double(a[i * k + p]) * Double(b[j * k + p]) }
                if abs(Double(c[i * n + j]) - exact) > 1e-4 * max(1, abs(exact)) { return false }
            }
        }
        return true
    }

    @Test("the poll is shortened to 2^4 cycles and products stay right on 1 and 2 threads after the pool restarts")
    func shortensPoll() async {
        await #expect(processExitsWith: .success) {
            unsetenv("OPENBLAS_THREAD_TIMEOUT")
            #expect(Self.productIsRight(threads: 2))
            BLAS.stopPollingThreads()
            #expect(BLAS.pollExponent == 4)
            #expect(String(cString: getenv("OPENBLAS_THREAD_TIMEOUT")) == "4")
            #expect(Self.productIsRight(threads: 2))
            #expect(Self.productIsRight(threads: 1))
            #expect(Self.productIsRight(threads: 2))
        }
    }

    @Test("an OPENBLAS_THREAD_TIMEOUT the user set is kept")
    func keepsUserTimeout() async {
        await #expect(processExitsWith: .success) {
            setenv("OPENBLAS_THREAD_TIMEOUT", "12", 1)
            BLAS.stopPollingThreads()
            #expect(BLAS.pollExponent == 12)
            #expect(Self.productIsRight(threads: 2))
        }
    }
}
