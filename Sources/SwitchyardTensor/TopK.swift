/// Selection of the `k` largest values of a short vector (expert gating: a few of up to a few hundred).
public enum TopK {
    /// Writes the indices and values of the `k` largest of `values[0..<count]`, largest first, into
    /// `indices` and `topValues`. Ties keep the lower index first, as `torch.topk` does on CPU.
    @inline(__always)
    public static func select(
        _ values: UnsafePointer<Float>, count: Int, k: Int,
        indices: UnsafeMutablePointer<Int32>, topValues: UnsafeMutablePointer<Float>
    ) {
        precondition(k >= 0 && k <= count, "top-\(k) of \(count) values")
        var filled = 0
        for i in 0..<count {
            let v = values[i]
            if filled == k {
                if k == 0 || !(v > topValues[k - 1]) { continue }
                filled -= 1
            }
            var j = filled
            while j > 0 && v > topValues[j - 1] {
                topValues[j] = topValues[j - 1]
                indices[j] = indices[j - 1]
                j -= 1
            }
            topValues[j] = v
            indices[j] = Int32(i)
            filled += 1
        }
    }
}
