import Foundation
import Testing
@testable import SwitchyardTensor

@Suite("Elementwise and reduction kernels")
struct KernelTests {
    @Test("RMSNorm matches a double-precision reference, in place and strided", arguments: [1, 7, 64, 129])
    func rmsNorm(cols: Int) {
        let x = randomMatrix(3, cols + 2, seed: UInt64(cols), scale: 3)
        let w = randomMatrix(1, cols, seed: 99)
        let out = Matrix(rows: 3, cols: cols)
        RMSNorm.apply(input: x.base, ldIn: cols + 2, output: out.base, ldOut: cols, rows: 3, cols: cols, weight: w.base, eps: 1e-5)
        for r in 0..<3 {
            var ms = 0.0
            for i in 0..<cols { ms += Double(x[r, i]) * Double(x[r, i]) }
            ms /= Double(cols)
            for i in 0..<cols {
                let expected = Double(w.base[i]) * Double(x[r, i]) / (ms + 1e-5).squareRoot()
                #expect(abs(Double(out[r, i]) - expected) < 1e-5 * max(1, abs(expected)))
            }
        }
        let copy = x.copy()
        RMSNorm.apply(input: copy.base, ldIn: cols + 2, output: copy.base, ldOut: cols + 2, rows: 3, cols: cols, weight: w.base, eps: 1e-5)
        for r in 0..<3 { for i in 0..<cols { #expect(copy[r, i] == out[r, i]) } }
    }

    @Test("softmax: matches exp/sum, stable for large logits")
    func softmax() {
        var values: [Float] = [1, 2, 3, 1000, 999, -5, 0]
        values.withUnsafeMutableBufferPointer { Softmax.apply($0.baseAddress!, count: $0.count) }
        let reference = [1, 2, 3, 1000, 999, -5, 0].map { exp(Double($0) - 1000) }
        let total = reference.reduce(0, +)
        for (v, r) in zip(values, reference) { #expect(abs(Double(v) - r / total) < 1e-6) }
        #expect(abs(values.reduce(0, +) - 1) < 1e-5)
    }

    @Test("SwiGLU: silu(gate) * up over fused rows")
    func swiglu() {
        let fused = randomMatrix(2, 10, seed: 3, scale: 4)
        let out = Matrix(rows: 2, cols: 5)
        SwiGLU.apply(gate: fused.base, up: fused.base + 5, ldIn: 10, output: out.base, ldOut: 5, rows: 2, cols: 5)
        for r in 0..<2 {
            for i in 0..<5 {
                let g = Double(fused[r, i])
                let expected = g / (1 + exp(-g)) * Double(fused[r, 5 + i])
                #expect(abs(Double(out[r, i]) - expected) < 1e-5)
            }
        }
    }

    @Test("top-k: the k largest, largest first, lower index first on ties", arguments: [1, 2, 3, 8])
    func topK(k: Int) {
        let values: [Float] = [0.1, 0.5, 0.3, 0.5, -1, 0.9, 0.0, 0.3]
        var ids = [Int32](repeating: -7, count: k)
        var top = [Float](repeating: 0, count: k)
        TopK.select(values, count: values.count, k: k, indices: &ids, topValues: &top)
        let expected = values.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }.prefix(k)
        #expect(ids.map(Int.init) == Array(expected))
        #expect(top == expected.map { values[$0] })
    }

    @Test("RoPE: rotate_half convention against a double reference; norms preserved", arguments: [0, 1, 17, 1000])
    func rope(position: Int) {
        let headDim = 16
        let theta = 10_000.0
        let rope = RoPE(headDim: headDim, theta: theta)
        let x = randomMatrix(1, 2 * headDim, seed: 5)
        let original = x.toArray()
        var cosT = [Float](repeating: 0, count: headDim / 2)
        var sinT = cosT
        rope.angles(position: position, cos: &cosT, sin: &sinT)
        RoPE.rotate(x.base, heads: 2, headDim: headDim, cos: cosT, sin: sinT)
        for h in 0..<2 {
            let v = Array(original[(h * headDim)..<((h + 1) * headDim)])
            var norm0 = 0.0, norm1 = 0.0
            for i in 0..<headDim {
                let freq = 1 / pow(theta, Double(2 * (i % (headDim / 2))) / Double(headDim))
                let angle = Double(position) * freq
                let rotated = i < headDim / 2 ? -Double(v[i + headDim / 2]) : Double(v[i - headDim / 2])
                let expected = Double(v[i]) * cos(angle) + rotated * sin(angle)
                #expect(abs(Double(x[0, h * headDim + i]) - expected) < 1e-5)
                norm0 += Double(v[i] * v[i])
                norm1 += Double(x[0, h * headDim + i] * x[0, h * headDim + i])
            }
            #expect(abs(norm0 - norm1) < 1e-4)
        }
    }

    @Test("vector ops on odd lengths", arguments: [1, 7, 8, 19])
    func vectorOps(count: Int) {
        let a = randomMatrix(1, count, seed: 1)
        let b = randomMatrix(1, count, seed: 2)
        let sum = a.copy()
        VectorOps.add(b.base, into: sum.base, count: count)
        let scaled = a.copy()
        VectorOps.addScaled(b.base, alpha: -0.5, into: scaled.base, count: count)
        var dot = 0.0
        for i in 0..<count {
            #expect(sum.base[i] == a.base[i] + b.base[i])
            #expect(abs(scaled.base[i] - (a.base[i] - 0.5 * b.base[i])) < 1e-6)
            dot += Double(a.base[i]) * Double(b.base[i])
        }
        #expect(abs(Double(VectorOps.dot(a.base, b.base, count: count)) - dot) < 1e-5)
        let clamped = a.copy()
        VectorOps.clamp(clamped.base, limit: 0.25, count: count)
        for i in 0..<count { #expect(clamped.base[i] == min(max(a.base[i], -0.25), 0.25)) }
        let best = VectorOps.argmax(a.base, count: count)
        #expect(a.toArray().allSatisfy { $0 <= a.base[best] })
    }

    @Test("argmax picks the first of equal maxima")
    func argmaxTies() {
        let x: [Float] = [1, 3, 2, 3]
        #expect(VectorOps.argmax(x, count: 4) == 1)
    }

    @Test("seeded generator: same seed same stream, different seeds differ, floats in [0, 1)")
    func generator() {
        var a = SeededGenerator(seed: 42)
        var b = SeededGenerator(seed: 42)
        var c = SeededGenerator(seed: 43)
        let sa = (0..<16).map { _ in a.next() }
        #expect(sa == (0..<16).map { _ in b.next() })
        #expect(sa != (0..<16).map { _ in c.next() })
        for _ in 0..<1000 {
            let f = a.nextUnitFloat()
            #expect(f >= 0 && f < 1)
        }
    }

    @Test("machine limits measure positive, finite numbers")
    func limits() {
        BLAS.setThreads(1)
        let gflops = MachineLimits.sgemmGFLOPS(size: 128, repeats: 1)
        let gbs = MachineLimits.memoryReadGBS(megabytes: 8, threads: 1, repeats: 1)
        #expect(gflops.isFinite && gflops > 0)
        #expect(gbs.isFinite && gbs > 0)
    }
}
