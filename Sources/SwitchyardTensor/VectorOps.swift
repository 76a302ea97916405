/// Elementwise kernels on raw float pointers (8-wide SIMD where it pays).
public enum VectorOps {
    /// `x[i] += y[i]` for `count` elements.
    @inline(__always)
    public static func add(_ y: UnsafePointer<Float>, into x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let a = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            let b = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(x + i).storeBytes(of: a + b, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { x[i] += y[i]; i += 1 }
    }

    /// `x[i] += alpha * y[i]` for `count` elements.
    @inline(__always)
    public static func addScaled(_ y: UnsafePointer<Float>, alpha: Float, into x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let s = SIMD8<Float>(repeating: alpha)
        while i + 8 <= count {
            let a = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            let b = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(x + i).storeBytes(of: a + s * b, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { x[i] += alpha * y[i]; i += 1 }
    }

    /// `x[i] *= alpha` for `count` elements.
    @inline(__always)
    public static func scale(_ x: UnsafeMutablePointer<Float>, by alpha: Float, count: Int) {
        for i in 0..<count { x[i] *= alpha }
    }

    /// Clamps every element to `[-limit, limit]` (OLMoE's `clip_qkv`).
    @inline(__always)
    public static func clamp(_ x: UnsafeMutablePointer<Float>, limit: Float, count: Int) {
        for i in 0..<count { x[i] = min(max(x[i], -limit), limit) }
    }

    /// The dot product of two vectors, accumulated in 8 float lanes.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= count {
            let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            acc += x * y
            i += 8
        }
        var sum = acc.sum()
        while i < count { sum += a[i] * b[i]; i += 1 }
        return sum
    }

    /// Adds `bias` (length `cols`) to each of `rows` rows of `x` (leading dimension `ldx`).
    @inline(__always)
    public static func addBias(_ bias: UnsafePointer<Float>, to x: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ldx: Int) {
        for r in 0..<rows { add(bias, into: x + r * ldx, count: cols) }
    }

    /// The index of the largest element (the first one on ties, like `torch.argmax`).
    @inline(__always)
    public static func argmax(_ x: UnsafePointer<Float>, count: Int) -> Int {
        precondition(count > 0, "argmax of an empty vector")
        var best = 0
        var bestValue = x[0]
        for i in 1..<count where x[i] > bestValue {
            best = i
            bestValue = x[i]
        }
        return best
    }
}
