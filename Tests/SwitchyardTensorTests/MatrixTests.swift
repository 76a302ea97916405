import Testing
@testable import SwitchyardTensor

@Suite("Matrix helpers")
struct MatrixTests {
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
