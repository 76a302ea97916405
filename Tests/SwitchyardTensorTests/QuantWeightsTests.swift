import CKernels
import Foundation
import SwitchyardTensor
import Testing

// MARK: - Helpers

/// A deterministic generator (SplitMix64).
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Roughly normal: the sum of four uniforms, centred.
    mutating func normal() -> Float {
        var s: Float = 0
        for _ in 0..<4 { s += Float(next() >> 40) / Float(1 << 24) }
        return (s - 2) * 1.7
    }
}

func randomFloats(_ rows: Int, _ cols: Int, seed: UInt64) -> [Float] {
    var g = SplitMix(state: seed)
    return (0..<(rows * cols)).map { _ in g.normal() }
}

let quantFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("QuantFixtures")
let fixtureRows = 4, fixtureCols = 512

func quantFixture(_ name: String) throws -> Data { try Data(contentsOf: quantFixtures.appendingPathComponent(name)) }
func floats(_ data: Data) -> [Float] {
    data.withUnsafeBytes { raw in (0..<(raw.count / 4)).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) } }
}

/// The activations a product actually multiplies by on `path`: q8 per 32 (q8_0/q4_0/q4_1), q8_K
/// per 256 (K-quants), bf16 for bf16 weights on the avx512 path (`vdpbf16ps` multiplies bf16 by
/// bf16), unchanged otherwise. Mirrors SYQuant's activation quantizer.
func effectiveActivations(_ format: WeightFormat, _ row: [Float], path: KernelPath = KernelPath.active) -> [Double] {
    func rne(_ x: Float) -> Float { x.rounded(.toNearestOrEven) }
    switch format {
    case .bf16 where path >= .avx512 && KernelPath.bf16DotProduct:
        return row.map { Double(FloatConversion.float(bf16: FloatConversion.bf16($0))) }
    case .f32, .bf16:
        return row.map(Double.init)
    case .q8_0, .q4_0, .q4_1, .mxfp4:
        var out = [Double]()
        for b in stride(from: 0, to: row.count, by: 32) {
            let block = row[b..<(b + 32)]
            let amax = block.map(abs).max()!
            let d = amax / 127
            let id: Float = d != 0 ? 1 / d : 0
            out += block.map { Double(rne($0 * id)) * Double(d) }
        }
        return out
    default:
        var out = [Double]()
        for b in stride(from: 0, to: row.count, by: 256) {
            let block = Array(row[b..<(b + 256)])
            var amax: Float = 0, max: Float = 0
            for v in block where abs(v) > amax { amax = abs(v); max = v }
            if amax == 0 { out += [Double](repeating: 0, count: 256); continue }
            let iscale = -127 / max
            let d = 1 / iscale
            out += block.map { Double(Swift.min(127, rne(iscale * $0))) * Double(d) }
        }
        return out
    }
}

func makeWeight(_ format: WeightFormat, rows: Int, cols: Int, seed: UInt64) throws -> BlockWeight {
    let values = randomFloats(rows, cols, seed: seed)
    return try BlockWeight(format: format, rows: rows, cols: cols, panelRows: 5) { first, count, dest in
        for i in 0..<(count * cols) { dest[i] = values[first * cols + i] }
    }
}

func product(_ w: BlockWeight, _ a: [Float], m: Int, threads: Int = 1, beta: Float = 0, initial: [Float]? = nil) -> [Float] {
    var c = initial ?? [Float](repeating: .nan, count: m * w.rows)
    a.withUnsafeBufferPointer { ap in
        c.withUnsafeMutableBufferPointer { cp in
            w.multiply(m: m, a: ap.baseAddress!, lda: w.cols, c: cp.baseAddress!, ldc: w.rows, beta: beta, threads: threads)
        }
    }
    return c
}

/// Runs `body` with the kernel path forced to `path`. The path is process-wide and every suite of
/// the test binary runs in parallel in one process, so a test that forces it does so only inside an
/// exit test (`#expect(processExitsWith:)`, a child process of its own): forced in the shared
/// process, it changed the bf16 products and tolerances of whatever other test ran at that moment.
func withPath<R>(_ path: KernelPath, _ body: () throws -> R) rethrows -> R {
    let previous = KernelPath.active
    KernelPath.force(path)
    defer { KernelPath.force(previous) }
    return try body()
}

func bits(_ x: [Float]) -> [UInt32] { x.map(\.bitPattern) }

// MARK: - Tests

@Suite struct QuantWeightsTests {
    @Test func blockGeometry() {
        let expected: [WeightFormat: (Int, Int)] = [
            .f32: (1, 4), .bf16: (1, 2), .q8_0: (32, 34), .q4_0: (32, 18), .q4_1: (32, 20),
            .q4_K: (256, 144), .q5_K: (256, 176), .q6_K: (256, 210), .mxfp4: (32, 17),
        ]
        for format in WeightFormat.allCases {
            #expect(format.blockSize == expected[format]!.0, "\(format)")
            #expect(format.bytesPerBlock == expected[format]!.1, "\(format)")
            #expect(WeightFormat(ggmlType: format.ggmlType) == format)
        }
    }

    @Test func rejectsRaggedRows() {
        #expect(throws: BlockWeightError.colsNotMultipleOfBlock(format: .q4_K, cols: 128)) {
            try BlockWeight(format: .q4_K, rows: 2, cols: 128) { _, _, _ in }
        }
        #expect(throws: BlockWeightError.self) {
            try BlockWeight(format: .q8_0, rows: 2, cols: 64, bytes: UnsafeRawBufferPointer(start: nil, count: 0))
        }
    }

    @Test func bf16Conversion() {
        #expect(FloatConversion.bf16(1.0) == 0x3F80)
        #expect(FloatConversion.bf16(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie to even (down)
        #expect(FloatConversion.bf16(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie to even (up)
        #expect(FloatConversion.bf16(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(FloatConversion.bf16(.nan) == 0x7FC0)
        #expect(FloatConversion.bf16(Float(bitPattern: 0xFF80_0001)) == 0x7FC0)  // any NaN, as torch
        #expect(FloatConversion.bf16(.infinity) == 0x7F80)
        #expect(FloatConversion.bf16(Float.greatestFiniteMagnitude) == 0x7F80)  // rounds up to infinity
        #expect(FloatConversion.float(bf16: 0xC0A0) == -5)
    }

    @Test func f16ConversionMatchesSwift() {
        var g = SplitMix(state: 7)
        for _ in 0..<200_000 {
            let x = Float(bitPattern: UInt32(truncatingIfNeeded: g.next()))
            let h = FloatConversion.f16(x)
            if x.isNaN { #expect(Float16(bitPattern: h).isNaN); continue }
            #expect(h == Float16(x).bitPattern, "\(x)")
        }
        for h in 0...UInt16.max {
            let f = FloatConversion.float(f16: h), s = Float(Float16(bitPattern: h))
            #expect(f.bitPattern == s.bitPattern || (f.isNaN && s.isNaN))
        }
    }

    /// q8_0 / q4_0 / q4_1 / mxfp4 / bf16: quantizing gives gguf's bytes; every format dequantizes as gguf.
    @Test(arguments: WeightFormat.allCases.filter { $0 != .f32 })
    func goldenRoundTrip(format: WeightFormat) throws {
        let bytes = try quantFixture("\(format.rawValue).quant.bin")
        let golden = floats(try quantFixture("\(format.rawValue).dequant.f32"))
        let w = try bytes.withUnsafeBytes {
            try BlockWeight(format: format, rows: fixtureRows, cols: fixtureCols, bytes: $0)
        }
        for r in 0..<fixtureRows {
            #expect(bits(w.dequantizedRow(r)) == bits(Array(golden[(r * fixtureCols)..<((r + 1) * fixtureCols)])), "row \(r)")
        }
        guard [.bf16, .q8_0, .q4_0, .q4_1, .mxfp4].contains(format) else { return }
        let input = floats(try quantFixture("\(format.rawValue).input.f32"))
        let q = try BlockWeight(format: format, rows: fixtureRows, cols: fixtureCols) { first, count, dest in
            for i in 0..<(count * fixtureCols) { dest[i] = input[first * fixtureCols + i] }
        }
        q.withUnsafeBytes { mine in #expect(Array(mine) == Array(bytes)) }
    }

    /// q5_0 / q5_1, read from GGUF files and expanded at load, dequantize as gguf does, bit for bit.
    @Test(arguments: ExpandedBlockFormat.allCases)
    func expandedFormatsDequantizeAsGGUF(format: ExpandedBlockFormat) throws {
        let bytes = try quantFixture("\(format).quant.bin")
        let golden = floats(try quantFixture("\(format).dequant.f32"))
        #expect(format.blockSize == 32 && bytes.count == fixtureRows * fixtureCols / 32 * format.bytesPerBlock)
        let rowBytes = fixtureCols / 32 * format.bytesPerBlock
        var row = [Float](repeating: 0, count: fixtureCols)
        for r in 0..<fixtureRows {
            bytes.withUnsafeBytes { raw in
                row.withUnsafeMutableBufferPointer { format.dequantize(row: raw.baseAddress! + r * rowBytes, cols: fixtureCols, into: $0.baseAddress!) }
            }
            #expect(bits(row) == bits(Array(golden[(r * fixtureCols)..<((r + 1) * fixtureCols)])), "\(format) row \(r)")
        }
    }

    /// q5_0 rewritten as q8_0 blocks (how `--dtype auto` keeps it) holds exactly its values.
    @Test func q5_0KeptAsQ8_0Exactly() throws {
        let bytes = try quantFixture("q5_0.quant.bin")
        let golden = floats(try quantFixture("q5_0.dequant.f32"))
        #expect(ExpandedBlockFormat.q5_0.keptAs == .q8_0 && ExpandedBlockFormat.q5_1.keptAs == .f32)
        let inBytes = fixtureCols / 32 * ExpandedBlockFormat.q5_0.bytesPerBlock
        let outBytes = WeightFormat.q8_0.rowBytes(cols: fixtureCols)
        var q8 = [UInt8](repeating: 0, count: fixtureRows * outBytes)
        bytes.withUnsafeBytes { raw in
            q8.withUnsafeMutableBytes { out in
                for r in 0..<fixtureRows {
                    ExpandedBlockFormat.q5_0AsQ8_0(row: raw.baseAddress! + r * inBytes, cols: fixtureCols, into: out.baseAddress! + r * outBytes)
                }
            }
        }
        let w = try q8.withUnsafeBytes { try BlockWeight(format: .q8_0, rows: fixtureRows, cols: fixtureCols, bytes: $0) }
        for r in 0..<fixtureRows {
            #expect(bits(w.dequantizedRow(r)) == bits(Array(golden[(r * fixtureCols)..<((r + 1) * fixtureCols)])), "row \(r)")
        }
    }

    /// The K-quant quantizers give valid blocks close to the input.
    @Test(arguments: [WeightFormat.q4_K, .q5_K, .q6_K, .q4_0, .q4_1, .q8_0])
    func quantizerError(format: WeightFormat) throws {
        let cols = 1024
        let values = randomFloats(8, cols, seed: 99)
        let w = try BlockWeight(format: format, rows: 8, cols: cols) { first, count, dest in
            for i in 0..<(count * cols) { dest[i] = values[first * cols + i] }
        }
        let bound: Double = [.q8_0: 0.01, .q6_K: 0.03, .q5_K: 0.06, .q4_1: 0.12, .q4_K: 0.12, .q4_0: 0.15][format]!
        for r in 0..<8 {
            let d = w.dequantizedRow(r)
            var err = 0.0, norm = 0.0
            for i in 0..<cols {
                err += Double(d[i] - values[r * cols + i]) * Double(d[i] - values[r * cols + i])
                norm += Double(values[r * cols + i] * values[r * cols + i])
            }
            #expect((err / norm).squareRoot() < bound, "\(format) row \(r): relative RMS error \((err / norm).squareRoot())")
        }
    }

    /// Every format on every path against a float64 product of the dequantized weight and the
    /// activations the kernel sees, over awkward shapes.
    @Test(arguments: WeightFormat.allCases)
    func productMatchesReference(format: WeightFormat) async {
        await #expect(processExitsWith: .success) { [format] in
            let blockCounts = format.blockSize == 256 ? [1, 3] : format.blockSize == 32 ? [1, 5, 8] : [1, 37, 96]
            let unit = max(format.blockSize, 1)
            for path in KernelPath.available {
                try withPath(path) {
                    for blocks in blockCounts {
                        let k = blocks * unit
                        let n = 13
                        let w = try makeWeight(format, rows: n, cols: k, seed: UInt64(k))
                        let wd = (0..<n).map { w.dequantizedRow($0).map(Double.init) }
                        for m in [1, 3, 7, 64, 65] {
                            let a = randomFloats(m, k, seed: UInt64(m * 1000 + k))
                            let c = product(w, a, m: m)
                            for r in 0..<m {
                                let ar = effectiveActivations(format, Array(a[(r * k)..<((r + 1) * k)]), path: path)
                                for j in 0..<n {
                                    var exact = 0.0, magnitude = 0.0
                                    for i in 0..<k { exact += wd[j][i] * ar[i]; magnitude += abs(wd[j][i] * ar[i]) }
                                    let got = Double(c[r * n + j])
                                    #expect(abs(got - exact) <= 2e-6 * magnitude + 1e-30,
                                            "\(format) \(path.name) m=\(m) k=\(k) [\(r), \(j)]: \(got) vs \(exact)")
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// A row's output does not depend on the batch it is in or the thread split, on every path.
    @Test(arguments: WeightFormat.allCases)
    func batchInvariance(format: WeightFormat) async {
        await #expect(processExitsWith: .success) { [format] in
            // 33 blocks of 32: a partial group of 4; f32/bf16: a partial last step of 32 values.
            let k = format.blockSize == 256 ? 1024 : format.blockSize == 1 ? 1043 : 1056
            let n = 77  // split over 2 threads into uneven row ranges
            let w = try makeWeight(format, rows: n, cols: k, seed: 5)
            let m = 64
            let a = randomFloats(m, k, seed: 6)
            for path in KernelPath.available {
                withPath(path) {
                    let full1 = product(w, a, m: m, threads: 1)
                    let full2 = product(w, a, m: m, threads: 2)
                    #expect(bits(full1) == bits(full2), "\(format) \(path.name): threads 1 vs 2")
                    for r in [0, 1, 5, 62, 63] {
                        let alone = product(w, Array(a[(r * k)..<((r + 1) * k)]), m: 1, threads: 2)
                        #expect(bits(alone) == bits(Array(full1[(r * n)..<((r + 1) * n)])), "\(format) \(path.name): row \(r)")
                    }
                    for m2 in [2, 3, 4, 7] {  // a few decode rows, partial row tiles
                        let part = product(w, Array(a[0..<(m2 * k)]), m: m2, threads: 1)
                        #expect(bits(part) == bits(Array(full1[0..<(m2 * n)])), "\(format) \(path.name): m=\(m2)")
                    }
                }
            }
        }
    }

    /// Every path agrees: bit for bit on the block formats (identical integer sums and float
    /// order), to rounding on f32/bf16 (fused vs separate multiply-add, 8 or 16 lanes). bf16's
    /// activations are given already rounded to bf16, as the avx512 path would round them.
    @Test(arguments: WeightFormat.allCases)
    func pathsAgree(format: WeightFormat) async {
        await #expect(processExitsWith: .success) { [format] in
            let paths = KernelPath.available
            guard paths.count > 1 else { return }
            let k = format.blockSize == 256 ? 768 : 800
            let w = try makeWeight(format, rows: 19, cols: k, seed: 11)
            var a = randomFloats(9, k, seed: 12)
            if format == .bf16 { a = a.map { FloatConversion.float(bf16: FloatConversion.bf16($0)) } }
            let results = paths.map { path in withPath(path) { product(w, a, m: 9) } }
            for other in results.dropFirst() {
                if format == .f32 || format == .bf16 {
                    for (x, y) in zip(results[0], other) { #expect(abs(x - y) <= 1e-4 * max(1, abs(x))) }
                } else {
                    #expect(bits(results[0]) == bits(other), "\(format)")
                }
            }
        }
    }

    @Test(arguments: [WeightFormat.q4_0, .q6_K, .bf16])
    func accumulates(format: WeightFormat) throws {
        let k = 512
        let w = try makeWeight(format, rows: 10, cols: k, seed: 3)
        let a = randomFloats(5, k, seed: 4)
        let plain = product(w, a, m: 5)
        let initial = (0..<50).map { Float($0) }
        let summed = product(w, a, m: 5, beta: 1, initial: initial)
        for i in 0..<50 { #expect(summed[i] == plain[i] + initial[i]) }
    }

    @Test func environmentNamesPath() async {
        #expect(["portable", "avx2", "avx512"].contains(String(cString: sy_qf_isa_name())))
        await #expect(processExitsWith: .success) {
            #expect(KernelPath.force(.portable) == .portable)
            #expect(KernelPath.active == .portable)
            KernelPath.force(.avx512)  // lowered to the best supported
            #expect(KernelPath.active == KernelPath.supported)
        }
    }
}
