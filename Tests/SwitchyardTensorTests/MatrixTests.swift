import Testing
@testable import SwitchyardTensor

@Suite("Matrix helpers")
struct MatrixTests {
    @Test("large matrices (huge-page mappings) start zeroed, are aligned, and grow and free cleanly")
    func largeMatrices() {
        let cols = 1024
        let m = Matrix(rows: 700, cols: cols)  // 2.7 MiB: above the huge-page threshold
        #expect(Int(bitPattern: m.base) % Matrix.alignment == 0)
        #expect(m.buffer.allSatisfy { $0 == 0 })
        m[699, cols - 1] = 5
        #expect(m[699, cols - 1] == 5)
        m.resize(rows: 2000)  // reallocates: contents not kept, storage zeroed
        #expect(m.rows == 2000 && m.rowCapacity >= 2000)
        #expect(m.buffer.allSatisfy { $0 == 0 })
        m.buffer.update(repeating: 1)
        #expect(m.buffer.reduce(0, +) == Float(2000 * cols))
        let small = Matrix(rows: 3, cols: 3)  // below the threshold: heap storage
        #expect(small.buffer.allSatisfy { $0 == 0 })
    }

    @Test("stacked concatenates rows; copy is independent")
    func stackAndCopy() {
        let a = Matrix(rows: 1, cols: 2, values: [1, 2])
        let b = Matrix(rows: 2, cols: 2, values: [3, 4, 5, 6])
        let s = Matrix.stacked([a, b])
        #expect(s.rows == 3 && s.toArray() == [1, 2, 3, 4, 5, 6])
        let c = s.copy()
        c[0, 0] = 9
        #expect(s[0, 0] == 1)
    }

    @Test("random is reproducible and within scale")
    func random() {
        var g1 = SeededGenerator(seed: 1)
        var g2 = SeededGenerator(seed: 1)
        let a = Matrix.random(rows: 3, cols: 5, scale: 0.5, generator: &g1)
        let b = Matrix.random(rows: 3, cols: 5, scale: 0.5, generator: &g2)
        #expect(a.toArray() == b.toArray())
        #expect(a.toArray().allSatisfy { abs($0) <= 0.5 })
    }
}
