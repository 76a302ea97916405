import Foundation
import Testing
import SwitchyardTensor
@testable import SwitchyardModel

/// `--dtype auto` on a GGUF keeps each tensor's blocks as the file holds them: blocks_moe.gguf
/// (scripts/make_gguf_blocks_fixture.py) mixes q8_0, q4_0, q4_1, q4_K, q5_K, q6_K and bf16, with
/// llama.cpp's Q/K row permutation and stacked `[E, out, in]` experts; blocks_moe.json holds, from
/// the `gguf` package, where each Hugging Face row sits in the file and the float64 products of the
/// dequantized weights.
@Suite("GGUF blocks kept as the file holds them (--dtype auto)")
struct GGUFBlockWeightTests {
    init() { BLAS.setThreads(1) }

    struct Reference: Decodable {
        struct Weight: Decodable {
            var format: String
            var gguf: String
            var first_row: Int
            var rows: Int
            var product: [Double]
            var gguf_row_of_hf_row: [Int]?
        }
        var x: [Double]
        var weights: [String: Weight]
    }

    static let url = URL(fileURLWithPath: GGUFFixtures.path("blocks_moe.gguf"))

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: GGUFFixtures.path("blocks_moe.json"))))
    }

    static func checkpoint(_ dtypes: WeightDTypes = .auto, filter: TensorFilter = .all) throws -> Checkpoint {
        try Checkpoint(directory: url, config: try ModelConfig.load(directory: url), filter: filter, dtypes: dtypes)
    }

    /// One Hugging Face weight as `checkpoint` loads it.
    static func weight(_ checkpoint: Checkpoint, _ name: String, rows: Int) throws -> any LinearWeight {
        try checkpoint.linearWeight([checkpoint.rows(of: name, shape: [rows, checkpoint.config.hiddenSize])], dtype: checkpoint.dtypes.dense)
    }

    @Test("every weight keeps the file's blocks byte for byte, Q/K rows moved back whole")
    func bytesEqualTheFile() throws {
        let reference = try Self.reference()
        let checkpoint = try Self.checkpoint()
        let file = try GGUFFile(path: Self.url.path)
        var formats = Set<WeightFormat>()
        for (name, expected) in reference.weights {
            let loaded = try #require(try Self.weight(checkpoint, name, rows: expected.rows) as? BlockWeight, "\(name)")
            #expect(loaded.format.rawValue.lowercased() == expected.format.lowercased(), "\(name)")
            formats.insert(loaded.format)
            let rowBytes = loaded.rowBytes
            try file.withTensorData(named: expected.gguf) { tensor in
                loaded.withUnsafeBytes { bytes in
                    for row in 0..<expected.rows {
                        let fileRow = expected.first_row + (expected.gguf_row_of_hf_row?[row] ?? row)
                        let ours = bytes[(row * rowBytes)..<((row + 1) * rowBytes)]
                        let theirs = tensor[(fileRow * rowBytes)..<((fileRow + 1) * rowBytes)]
                        if !ours.elementsEqual(theirs) {
                            Issue.record("\(name) row \(row) differs from \(expected.gguf) row \(fileRow)")
                            return
                        }
                    }
                }
            }
        }
        #expect(formats == [.q8_0, .q4_0, .q4_1, .q4_K, .q5_K, .q6_K, .bf16])
        #expect(reference.weights.values.contains { $0.gguf_row_of_hf_row.map { $0 != Array(0..<$0.count) } ?? false })
    }

    @Test("products equal the gguf package's float64 products of the dequantized weights")
    func productsEqualTheDequantizedReference() throws {
        let reference = try Self.reference()
        let checkpoint = try Self.checkpoint()
        let x = reference.x.map(Float.init)
        for (name, expected) in reference.weights {
            let weight = try Self.weight(checkpoint, name, rows: expected.rows)
            var ours = [Float](repeating: 0, count: expected.rows)
            weight.multiply(m: 1, a: x, lda: x.count, c: &ours, ldc: expected.rows, threads: 1)
            // The block products round the activations to 8 bits per block (as llama.cpp does: blocks
            // of 32, of 256 for the K-quants), by at most the block's largest |x| / 127 each; the
            // error of a row is at most that times |w|, summed. A wrong row or block misses by the
            // size of the product (about 1).
            let dense = weight.unpacked()
            let block = weight.format.blockSize == 256 ? 256 : 32
            let largest = stride(from: 0, to: x.count, by: block).map { start in x[start..<start + block].map(abs).max()! }
            for r in 0..<expected.rows {
                let bound = (0..<x.count).reduce(1e-4) { $0 + Double(abs(dense.row(r)[$1]) * largest[$1 / block] / 127) }
                let error = abs(Double(ours[r]) - expected.product[r])
                if error > bound {
                    Issue.record("\(name) (\(expected.format)) row \(r): |Δ| \(error) exceeds the activation rounding bound \(bound)")
                    break
                }
            }
            // The weight dequantized by our kernels is the package's, so the exact product agrees to rounding.
            let exact = (0..<expected.rows).map { r in (0..<x.count).reduce(0.0) { $0 + Double(dense.row(r)[$1]) * reference.x[$1] } }
            let exactWorst = zip(exact, expected.product).map { abs($0 - $1) }.max() ?? 0
            #expect(exactWorst < 1e-4, "\(name): dequantized product max |Δ| \(exactWorst)")
        }
    }

    @Test("projections stored in different formats stay side by side; the tied head is the embedding's blocks")
    func mixedFormatsAndTiedHead() throws {
        let engine = try Engine.load(directory: Self.url)
        let qkv = try #require(engine.weights.layers[0].qkv as? StackedWeight)
        #expect(qkv.parts.map(\.format) == [.q4_K, .q6_K, .q8_0])
        guard case let .compact(table) = engine.weights.embed else {
            Issue.record("the q8_0 embedding was expanded")
            return
        }
        #expect(table.format == .q8_0 && table === engine.weights.head)
        let checkpoint = try Self.checkpoint()
        let layer0 = try checkpoint.packedExpertFFN(layer: 0, expert: 1)
        #expect((layer0.gateUp as? StackedWeight)?.parts.map(\.format) == [.q4_1, .q4_K])
        #expect(layer0.down.format == .q6_K)
        let layer1 = try checkpoint.packedExpertFFN(layer: 1, expert: 3)
        #expect((layer1.gateUp as? BlockWeight)?.format == .q8_0)
    }

    @Test("with --repack on (the default), block weights of whole groups of eight rows are copied into rows interleaved by eight, the others read in place")
    func repackedFormatsAreCopied() throws {
        let engine = try Engine.load(directory: Self.url)
        guard case let .compact(table) = engine.weights.embed else {
            Issue.record("the q8_0 embedding was expanded")
            return
        }
        #expect(table.format == .q8_0 && table.rowsInterleaved && !table.isBorrowed)
        let checkpoint = try Self.checkpoint()
        for (layer, expert) in [(0, 0), (1, 3)] {
            let ffn = try checkpoint.packedExpertFFN(layer: layer, expert: expert)
            for weight in [ffn.gateUp, ffn.down] {
                let parts: [any LinearWeight] = (weight as? StackedWeight)?.parts ?? [weight]
                for case let part as BlockWeight in parts {
                    let interleaves = BlockWeight.interleaves(part.format, rows: part.rows, cols: part.cols)
                    #expect(part.rowsInterleaved == interleaves && part.isBorrowed == !interleaves, "\(part.format) L\(layer)E\(expert)")
                }
            }
        }
    }

    @Test("with --repack off, weights made of rows as the file stores them are read in place, fused gate and up too")
    func singleTensorWeightsAreReadInPlace() async {
        // In a child process: `repacksRows` is process-wide and the other suites load weights meanwhile.
        await #expect(processExitsWith: .success) {
            BlockWeight.repacksRows = false
            let engine = try Engine.load(directory: Self.url)
            guard case let .compact(table) = engine.weights.embed else {
                Issue.record("the q8_0 embedding was expanded")
                return
            }
            #expect(table.isBorrowed)
            let checkpoint = try Self.checkpoint()
            let expert = try checkpoint.packedExpertFFN(layer: 1, expert: 3)
            let downWeight = try #require(expert.down as? BlockWeight)
            #expect(downWeight.isBorrowed && !downWeight.rowsInterleaved)
            // gate and up, two tensors of the file fused into one product (too small for huge pages
            // were they copied), are two runs read in place.
            let gateUp = try #require(expert.gateUp as? BlockWeight)
            #expect(gateUp.isBorrowed && !BlockWeight.copyUsesHugePages(bytes: gateUp.byteCount))
            // Borrowed bytes are the file's own, so a worker's in-place weight equals the copied reference.
            let file = try GGUFFile(path: Self.url.path)
            let down = try #require(expert.down as? BlockWeight)
            let range = try file.byteRange(ofTensor: "blk.1.ffn_down_exps.weight", expert: 3)
            let fileBytes = try Array(file.bytes(fileRange: range))
            down.withUnsafeBytes { #expect(Array($0) == fileBytes) }
            let gate = try Array(file.bytes(fileRange: try file.byteRange(ofTensor: "blk.1.ffn_gate_exps.weight", expert: 3)))
            let up = try Array(file.bytes(fileRange: try file.byteRange(ofTensor: "blk.1.ffn_up_exps.weight", expert: 3)))
            gateUp.withUnsafeBytes { #expect(Array($0) == gate + up) }
            // The two-run weight computes what one copied weight of the same bytes computes, bit for bit.
            let copied = try (gate + up).withUnsafeBytes {
                try BlockWeight(format: gateUp.format, rows: gateUp.rows, cols: gateUp.cols, bytes: $0)
            }
            for m in [1, 5, 64] {
                let a = (0..<(m * gateUp.cols)).map { Float(($0 * 37) % 101) / 50 - 1 }
                var fromRuns = [Float](repeating: 0, count: m * gateUp.rows), fromCopy = fromRuns
                for threads in [1, 2] {
                    a.withUnsafeBufferPointer { a in
                        gateUp.multiply(m: m, a: a.baseAddress!, lda: gateUp.cols, c: &fromRuns, ldc: gateUp.rows, threads: threads)
                        copied.multiply(m: m, a: a.baseAddress!, lda: gateUp.cols, c: &fromCopy, ldc: gateUp.rows, threads: threads)
                    }
                    #expect(fromRuns.map(\.bitPattern) == fromCopy.map(\.bitPattern), "m \(m), \(threads) threads")
                }
            }
        }
    }

    @Test("the model kept in its blocks computes what the model expanded to f32 computes, in far fewer bytes")
    func modelMatchesExpanded() async throws {
        let auto = try Engine.load(directory: Self.url)
        let f32 = try Engine.load(directory: Self.url, dtypes: WeightDTypes(experts: .format(.f32)))
        let prompt: [Int32] = [1, 5, 9, 30, 2, 17, 11]
        let a = try await auto.forward([EngineInput(cache: KVCache(config: auto.config, capacity: 16), tokens: prompt)])
        let b = try await f32.forward([EngineInput(cache: KVCache(config: f32.config, capacity: 16), tokens: prompt)])
        var la = [Float](repeating: 0, count: a.cols), lb = la
        LogSoftmax.compute(UnsafeBufferPointer(start: a.row(0), count: a.cols), into: &la)
        LogSoftmax.compute(UnsafeBufferPointer(start: b.row(0), count: b.cols), into: &lb)
        let worst = zip(la, lb).map { abs($0 - $1) }.max() ?? 0
        let spread = (lb.max() ?? 0) - (lb.min() ?? 0)
        #expect(worst < 0.1 && spread > 1, "max |Δ logprob| \(worst) over a spread of \(spread)")

        func bytes(_ engine: Engine) throws -> Int {
            engine.weights.byteCount + (try #require(engine.experts as? LocalExpertBackend)).byteCount
        }
        let fileBytes = try Self.checkpoint().fileBytes
        let kept = try bytes(auto), expanded = try bytes(f32)
        // The router gates are f32 panels in both (padded to whole panels): a few kB over the file's tensors.
        #expect(kept <= fileBytes * 21 / 20, "kept \(kept) bytes of a \(fileBytes)-byte file")
        #expect(expanded > 3 * fileBytes, "expanded to \(expanded) bytes")
    }

    @Test("an explicit --dtype still converts: dequantized, then quantized to the format asked for")
    func explicitDTypeConverts() throws {
        let checkpoint = try Self.checkpoint(WeightDTypes(experts: .format(.q8_0)))
        let name = "model.layers.0.self_attn.q_proj.weight"  // q4_K in the file
        let weight = try #require(try Self.weight(checkpoint, name, rows: 256) as? BlockWeight)
        #expect(weight.format == .q8_0)
        let expected = try BlockWeight(format: .q8_0, rows: 256, cols: 256) { first, count, destination in
            let all = try checkpoint.matrix(name, shape: [256, 256])
            destination.update(from: all.row(first), count: count * 256)
        }
        weight.withUnsafeBytes { ours in expected.withUnsafeBytes { #expect(ours.elementsEqual($0)) } }
    }

    @Test("a worker maps and copies only its expert's byte ranges of the stacked tensors")
    func workerCopiesOnlyItsExperts() throws {
        let key = ExpertKey(layer: 0, expert: 2)
        let worker = try Self.checkpoint(filter: .experts([key]))
        let file = try GGUFFile(path: Self.url.path)
        let expertBytes = try ["gate", "up", "down"].reduce(0) { total, projection in
            total + (try file.requireTensor("blk.0.ffn_\(projection)_exps.weight").expertByteCount ?? 0)
        }
        #expect(worker.mappedBytes == expertBytes)
        let mine = try worker.packedExpertFFN(layer: 0, expert: 2)
        #expect(mine.byteCount == expertBytes)
        let full = try Self.checkpoint().packedExpertFFN(layer: 0, expert: 2)
        #expect(mine.gateUp.unpacked().toArray() == full.gateUp.unpacked().toArray())
        #expect(mine.down.unpacked().toArray() == full.down.unpacked().toArray())
        #expect(throws: ModelError.self) { try worker.packedExpertFFN(layer: 0, expert: 1) }
    }
}
