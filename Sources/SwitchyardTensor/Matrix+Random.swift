extension Matrix {
    /// A matrix of uniform values in `[-scale, scale)` drawn from `generator` (synthetic weights, tests).
    public static func random(rows: Int, cols: Int, scale: Float, generator: inout SeededGenerator) -> Matrix {
        let m = Matrix(rows: rows, cols: cols)
        for i in 0..<m.count { m.base[i] = (generator.nextUnitFloat() * 2 - 1) * scale }
        return m
    }

    /// A copy of this matrix (rows in use only).
    public func copy() -> Matrix {
        let m = Matrix(rows: rows, cols: cols)
        m.base.update(from: base, count: count)
        return m
    }

    /// A new matrix stacking `parts` (all with the same column count) top to bottom.
    public static func stacked(_ parts: [Matrix]) -> Matrix {
        precondition(!parts.isEmpty, "stacking no matrices")
        let cols = parts[0].cols
        precondition(parts.allSatisfy { $0.cols == cols }, "stacked matrices need equal column counts")
        let m = Matrix(rows: parts.reduce(0) { $0 + $1.rows }, cols: cols)
        var offset = 0
        for part in parts {
            (m.base + offset).update(from: part.base, count: part.count)
            offset += part.count
        }
        return m
    }
}
