import CKernels
import Foundation
import Testing
@testable import SwitchyardTensor

/// q4_K, q5_K, q6_K, bf16, q8_0, q4_0, q4_1 and mxfp4 weights repacked with their rows interleaved by eight (`SY_QF_ROWS8`) compute what the
/// plain rows compute, bit for bit, on every path, and read back as the plain bytes. Each test runs
/// in a child process: `repacksRows` is process-wide and other suites load weights meanwhile.
extension QuantWeightsTests {
    /// Builds the same values twice, plain and interleaved.
    static func plainAndInterleaved(_ format: WeightFormat, rows: Int, cols: Int, seed: UInt64) throws -> (plain: BlockWeight, interleaved: BlockWeight) {
        BlockWeight.repacksRows = false
        let plain = try makeWeight(format, rows: rows, cols: cols, seed: seed)
        BlockWeight.repacksRows = true
        let interleaved = try makeWeight(format, rows: rows, cols: cols, seed: seed)
        return (plain, interleaved)
    }

    /// The K-quant kernels take many weight rows in blocks of about 192 KB, each activation tile
    /// passing over a block before the next one starts: at 2048 columns 300 rows are two to three
    /// blocks (q4_K 168 rows a block, q5_K 136, q6_K 112). Every row's output is the one it has alone
    /// (one activation row never takes the blocks), plain and interleaved, at batches that end in
    /// every partial tile, with and without accumulating.
    @Test(arguments: [WeightFormat.q4_K, .q5_K, .q6_K])
    func kQuantRowsPastOneBlock(format: WeightFormat) async {
        await #expect(processExitsWith: .success) { [format] in
            let rows = 300, cols = 2048
            let (plain, interleaved) = try Self.plainAndInterleaved(format, rows: rows, cols: cols, seed: 17)
            for path in KernelPath.available {
                withPath(path) {
                    for m in [13, 14, 15, 16] {
                        let a = randomFloats(m, cols, seed: UInt64(m))
                        let initial = randomFloats(m, rows, seed: 99)
                        let alones = (0..<m).map { r in product(plain, Array(a[(r * cols)..<((r + 1) * cols)]), m: 1) }
                        for weight in [plain, interleaved] {
                            let batch = product(weight, a, m: m)
                            let accumulated = product(weight, a, m: m, beta: 0.5, initial: initial)
                            for r in 0..<m {  // rows of the eight-row, four-row and last tiles
                                let alone = alones[r]
                                #expect(bits(Array(batch[(r * rows)..<((r + 1) * rows)])) == bits(alone), "\(format) \(path.name) m \(m) row \(r)")
                                let expected = (0..<rows).map { alone[$0] + 0.5 * initial[r * rows + $0] }
                                #expect(bits(Array(accumulated[(r * rows)..<((r + 1) * rows)])) == bits(expected),
                                        "\(format) \(path.name) m \(m) row \(r) beta")
                            }
                        }
                    }
                }
            }
        }
    }

    /// Decode (one row: eight weight rows per pass), a few rows and a batch (rows read eight blocks
    /// apart), on one and two threads, with and without accumulating into C; 29 rows: three whole
    /// groups and a plain tail of five.
    @Test(arguments: [WeightFormat.q4_K, .q5_K, .q6_K, .bf16, .q8_0, .q4_0, .q4_1, .mxfp4])
    func interleavedRowsComputeWhatPlainRowsCompute(format: WeightFormat) async {
        await #expect(processExitsWith: .success) { [format] in
            let (plain, interleaved) = try Self.plainAndInterleaved(format, rows: 29, cols: 768, seed: 31)
            #expect(!plain.rowsInterleaved && interleaved.rowsInterleaved)
            for path in KernelPath.available {
                withPath(path) {
                    for m in [1, 2, 3, 5, 8, 9, 17] {
                        let a = randomFloats(m, 768, seed: UInt64(m))
                        for threads in [1, 2] {
                            #expect(bits(product(interleaved, a, m: m, threads: threads)) == bits(product(plain, a, m: m, threads: threads)),
                                    "\(format) \(path.name) m \(m) threads \(threads)")
                        }
                        let initial = randomFloats(m, 29, seed: 99)
                        #expect(bits(product(interleaved, a, m: m, beta: 0.5, initial: initial))
                                == bits(product(plain, a, m: m, beta: 0.5, initial: initial)), "\(path.name) m \(m) beta")
                    }
                }
            }
        }
    }

    /// A product over a range of rows that does not start or end on a group (a thread's chunk, a
    /// run of a fused weight) takes the rows outside whole groups one at a time, with the same bits;
    /// for one activation row (decode's group kernels) and three (bf16's half-group kernel).
    @Test(arguments: [WeightFormat.q4_K, .q5_K, .q6_K, .bf16, .q8_0, .q4_0, .q4_1, .mxfp4])
    func interleavedRowsInUnalignedRanges(format: WeightFormat) async {
        await #expect(processExitsWith: .success) { [format] in
            let (plain, interleaved) = try Self.plainAndInterleaved(format, rows: 40, cols: 512, seed: 7)
            for path in KernelPath.available {
                withPath(path) {
                    for m in [1, 3] {
                        let a = randomFloats(m, 512, seed: 8)
                        let type = Int32(format.ggmlType)
                        let scratchBytes = max(64, Int(sy_qf_scratch_bytes(type, m, 512)))
                        let scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchBytes, alignment: 64)
                        defer { scratch.deallocate() }
                        a.withUnsafeBufferPointer { sy_qf_prepare(type, m, 512, $0.baseAddress, 512, scratch) }
                        let full = product(plain, a, m: m)
                        for (j0, j1) in [(3, 21), (8, 13), (12, 40), (0, 7), (33, 39), (7, 9)] {
                            var c = [Float](repeating: .nan, count: m * 40)
                            interleaved.withUnsafeStorage { w in
                                sy_qf_gemm(type | Int32(SY_QF_ROWS8), m, 40, 512, a, 512, scratch, w, &c, 40, 0, j0, j1)
                            }
                            for r in 0..<m {
                                #expect(bits(Array(c[(r * 40 + j0)..<(r * 40 + j1)])) == bits(Array(full[(r * 40 + j0)..<(r * 40 + j1)])),
                                        "\(path.name) m \(m) row \(r) rows \(j0)..<\(j1)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// The repacked weight reads back as the plain bytes, row by row as the plain values, and cuts
    /// (a worker's slice of an expert) hold the same rows.
    @Test(arguments: [WeightFormat.q4_K, .q5_K, .q6_K, .bf16, .q8_0, .q4_0, .q4_1, .mxfp4])
    func interleavedRowsReadBackAsPlainRows(format: WeightFormat) async {
        await #expect(processExitsWith: .success) { [format] in
            let (plain, interleaved) = try Self.plainAndInterleaved(format, rows: 21, cols: 512, seed: 3)
            let plainBytes = plain.withUnsafeBytes { Array($0) }
            interleaved.withUnsafeBytes { #expect(Array($0) == plainBytes) }
            interleaved.withUnsafeStorage { w in
                #expect(memcmp(w, plainBytes, plainBytes.count) != 0)  // really another layout
            }
            for row in [0, 7, 8, 15, 16, 20] { #expect(interleaved.dequantizedRow(row) == plain.dequantizedRow(row)) }
            let unpackedInterleaved = interleaved.unpacked(), unpackedPlain = plain.unpacked()
            #expect((0..<(21 * 512)).allSatisfy { unpackedInterleaved.base[$0] == unpackedPlain.base[$0] })
            let cut = try interleaved.sliced(rows: [2..<5, 9..<18], columns: 256..<512) as! BlockWeight
            let reference = try plain.sliced(rows: [2..<5, 9..<18], columns: 256..<512) as! BlockWeight
            #expect(cut.rowsInterleaved)
            #expect(cut.withUnsafeBytes { Array($0) } == reference.withUnsafeBytes { Array($0) })
            let a = randomFloats(1, 256, seed: 4)
            #expect(bits(product(cut, a, m: 1)) == bits(product(reference, a, m: 1)))
        }
    }

    /// Only f32 lacks the layout; fewer than eight rows stay plain, and bf16 rows that
    /// are not whole units of 32 values; the setting turns it off.
    @Test func whichWeightsAreInterleaved() async {
        await #expect(processExitsWith: .success) {
            #expect(BlockWeight.repacksRows)
            #expect(try makeWeight(.q4_K, rows: 8, cols: 256, seed: 1).rowsInterleaved)
            let seven = try makeWeight(.q4_K, rows: 7, cols: 256, seed: 1)
            #expect(!seven.rowsInterleaved)
            #expect(try makeWeight(.q5_K, rows: 8, cols: 256, seed: 1).rowsInterleaved)
            #expect(try makeWeight(.q6_K, rows: 8, cols: 256, seed: 1).rowsInterleaved)
            #expect(try makeWeight(.bf16, rows: 8, cols: 96, seed: 1).rowsInterleaved)
            let ragged = try makeWeight(.bf16, rows: 16, cols: 40, seed: 1)
            #expect(!ragged.rowsInterleaved)
            #expect(BlockWeight.readsInPlace(format: .bf16, rows: 16, cols: 40, runs: 1, bytes: 16 * 80))
            #expect(!BlockWeight.readsInPlace(format: .bf16, rows: 16, cols: 64, runs: 1, bytes: 16 * 128))
            for format in [WeightFormat.q8_0, .q4_0, .q4_1, .mxfp4] {
                #expect(try makeWeight(format, rows: 8, cols: 64, seed: 1).rowsInterleaved, "\(format)")
            }
            #expect(!(try makeWeight(.f32, rows: 16, cols: 256, seed: 1)).rowsInterleaved)
            #expect(!BlockWeight.repacks(.f32))
            #expect(WeightFormat.allCases.filter { !BlockWeight.repacks($0) } == [.f32])
            #expect(!BlockWeight.readsInPlace(format: .q4_K, rows: 8, cols: 256, runs: 1, bytes: 8 * 144))
            // Fewer than eight rows stay plain, so they are read in place rather than copied for nothing.
            #expect(BlockWeight.readsInPlace(format: .q4_K, rows: 7, cols: 256, runs: 1, bytes: 7 * 144))
            BlockWeight.repacksRows = false
            let off = try makeWeight(.q4_K, rows: 16, cols: 256, seed: 1)
            #expect(!off.rowsInterleaved)
            #expect(!(try makeWeight(.bf16, rows: 16, cols: 64, seed: 1)).rowsInterleaved)
            #expect(BlockWeight.readsInPlace(format: .q4_K, rows: 8, cols: 256, runs: 1, bytes: 8 * 144))
        }
    }

    /// Rows of 32-value blocks, a number of them that is not a multiple of four (3, 18 as SmolLM2's
    /// tied head, and 25 blocks), give the plain layout's bits on the interleaved layout, for 1 to 9
    /// activation rows (the row kernel adds its last group's padding blocks: the group kernels must
    /// too; they take four activation rows a pass, then the rest).
    @Test(arguments: [WeightFormat.q8_0, .q4_0, .q4_1, .mxfp4])
    func blocks32InterleavedRowsWithBlocksNotAMultipleOfFour(format: WeightFormat) async {
        await #expect(processExitsWith: .success) { [format] in
            for cols in [96, 576, 800] {
                let (plain, interleaved) = try Self.plainAndInterleaved(format, rows: 19, cols: cols, seed: 11)
                #expect(interleaved.rowsInterleaved)
                for path in KernelPath.available {
                    withPath(path) {
                        for m in 1...9 {
                            let a = randomFloats(m, cols, seed: UInt64(m))
                            #expect(bits(product(interleaved, a, m: m, threads: 2)) == bits(product(plain, a, m: m, threads: 2)),
                                    "\(format) \(path.name) cols \(cols) m \(m)")
                        }
                    }
                }
            }
        }
    }

    /// The group kernel of q4_0, q4_1 and mxfp4 adds a block's pair products in int16: at the largest
    /// magnitudes (every nibble the largest unsigned value it is taken as: 15, or mxfp4's 12 + 12)
    /// against activations of +-1 (int8 +-127), in rows of all one sign and of mixed signs, its sums
    /// are the plain kernel's, which adds each pair in int32.
    @Test(arguments: [WeightFormat.q4_0, .q4_1, .mxfp4])
    func groupKernelSumsTheLargestProductsExactly(format: WeightFormat) async {
        await #expect(processExitsWith: .success) { [format] in
            let rows = 8, cols = 256, blocks = cols / 32
            let nibbles: UInt8 = format == .mxfp4 ? 0x77 : 0xFF  // mxfp4 nibble 7: +6, doubled 12
            var block: [UInt8]
            switch format {
            case .q4_0: block = [0x00, 0x3C] + [UInt8](repeating: nibbles, count: 16)  // d = 1.0 (f16)
            case .q4_1: block = [0x00, 0x3C, 0x00, 0xBC] + [UInt8](repeating: nibbles, count: 16)  // d 1, m -1
            default: block = [127] + [UInt8](repeating: nibbles, count: 16)  // scale 2^0
            }
            let bytes = [UInt8]((0..<(rows * blocks)).flatMap { _ in block })
            func weight() throws -> BlockWeight {
                try bytes.withUnsafeBytes { try BlockWeight(format: format, rows: rows, cols: cols, bytes: $0) }
            }
            BlockWeight.repacksRows = false
            let plain = try weight()
            BlockWeight.repacksRows = true
            let interleaved = try weight()
            #expect(interleaved.rowsInterleaved)
            let ones = [Float](repeating: 1, count: cols)
            let minusOnes = [Float](repeating: -1, count: cols)
            let mixed = (0..<cols).map { $0 % 3 == 0 ? Float(-1) : 1 }
            for path in KernelPath.available {
                withPath(path) {
                    for a in [ones, minusOnes, mixed, ones + minusOnes + mixed] {
                        let m = a.count / cols
                        #expect(bits(product(interleaved, a, m: m)) == bits(product(plain, a, m: m)), "\(format) \(path.name) m \(m)")
                    }
                }
            }
            // The sums themselves: 256 products of the largest value and +-1.
            let largest: Float = format == .mxfp4 ? 6 : format == .q4_0 ? 7 : 14
            #expect(product(interleaved, ones, m: 1).allSatisfy { abs($0 - 256 * largest) < 1 })
        }
    }

    /// An embedding lookup of an interleaved bf16 weight (`dequantize(row:)`, unit by unit) gives each
    /// row's values, in the whole groups and in the plain tail (19 rows: two groups and three more).
    @Test func bf16InterleavedRowsDequantizeUnitByUnit() async {
        await #expect(processExitsWith: .success) {
            let (plain, interleaved) = try Self.plainAndInterleaved(.bf16, rows: 19, cols: 96, seed: 5)
            #expect(interleaved.rowsInterleaved)
            for row in 0..<19 {
                var values = [Float](repeating: .nan, count: 96)
                values.withUnsafeMutableBufferPointer { interleaved.dequantize(row: row, into: $0.baseAddress!) }
                #expect(values == plain.dequantizedRow(row), "row \(row)")
            }
        }
    }
}
