import Foundation
import Testing
import SwitchyardTensor
@testable import SwitchyardModel

/// GGUF copies of golden fixtures (scripts/make_gguf_from_hf.py: llama.cpp's layout, Q/K rows
/// permuted, Mixtral experts stacked `[E, out, in]`) served from the GGUF give what transformers
/// gave on the safetensors original.
@Suite("GGUF models against the transformers references of their safetensors originals")
struct GGUFGoldenTests {
    init() { BLAS.setThreads(1) }

    /// (GGUF file, fixture, logprob tolerance): f32 copies are held to the golden 1e-3; q8_0 to its
    /// quantization error.
    static let cases: [(String, String, Double)] = [
        ("llama_untied_bias.gguf", "llama_untied_bias", GoldenFixture.logprobTolerance),
        ("mixtral_basic.gguf", "mixtral_basic", GoldenFixture.logprobTolerance),
        ("mixtral_basic_q8_0.gguf", "mixtral_basic", 0.25),
    ]

    static func url(_ file: String) -> URL { URL(fileURLWithPath: GGUFFixtures.path(file)) }

    @Test("config read from GGUF metadata equals config.json's", arguments: cases.map { ($0.0, $0.1) })
    func sameConfig(file: String, fixtureName: String) throws {
        let fixture = try GoldenFixture.load(fixtureName)
        let original = try ModelConfig.load(directory: fixture.directory)
        var fromGGUF = try ModelConfig.load(directory: Self.url(file))
        #expect(fromGGUF.family == original.family)
        // What GGUF does not carry: max positions is its context length, dtype is informative.
        fromGGUF.maxPositionEmbeddings = original.maxPositionEmbeddings
        fromGGUF.dtype = original.dtype
        fromGGUF.bosTokenID = original.bosTokenID
        fromGGUF.eosTokenIDs = original.eosTokenIDs
        #expect(fromGGUF == original)
    }

    @Test("last-position logprobs and teacher-forced greedy tokens", arguments: cases)
    func golden(file: String, fixtureName: String, tolerance: Double) async throws {
        let fixture = try GoldenFixture.load(fixtureName)
        let engine = try Engine.load(directory: Self.url(file))
        var checked = 0
        for (index, prompt) in fixture.prompts.enumerated() {
            let steps = prompt.greedyTokenIDs.count
            let cache = KVCache(config: engine.config, capacity: prompt.tokenIDs.count + steps)
            var logits = try await engine.forward([EngineInput(cache: cache, tokens: prompt.tokenIDs)])
            var ours = [Float](repeating: 0, count: fixture.vocabSize)
            LogSoftmax.compute(UnsafeBufferPointer(start: logits.row(0), count: logits.cols), into: &ours)
            let worst = zip(ours, prompt.lastLogprobs).map { abs(Double($0) - $1) }.max() ?? 0
            #expect(worst < tolerance, "\(file) prompt \(index): max |Δ logprob| \(worst)")
            for step in 0..<steps {
                let row = UnsafeBufferPointer(start: logits.row(0), count: logits.cols)
                let expected = prompt.greedyTokenIDs[step]
                // A quantized copy may flip near-ties: compare where the margin exceeds its error.
                if prompt.greedyMargins[step] >= max(GoldenFixture.marginThreshold, 4 * tolerance) {
                    #expect(Int32(VectorOps.argmax(row.baseAddress!, count: row.count)) == expected, "\(file) prompt \(index) step \(step)")
                    checked += 1
                }
                if step + 1 < steps { logits = try await engine.forward([EngineInput(cache: cache, tokens: [expected])]) }
            }
        }
        #expect(checked > 0)
    }

    @Test("a worker maps only its experts' rows of the stacked tensors, the router none of them")
    func workerMapsOnlyItsExperts() throws {
        let url = Self.url("mixtral_basic.gguf")
        let config = try ModelConfig.load(directory: url)
        let key = ExpertKey(layer: 1, expert: 2)
        let worker = try Checkpoint(directory: url, config: config, filter: .experts([key]))
        let inner = config.moeIntermediateSize, hidden = config.hiddenSize
        #expect(worker.mappedBytes == 3 * inner * hidden * 4)
        let mine = try worker.expertFFN(layer: 1, expert: 2)
        let full = try Checkpoint(directory: url, config: config).expertFFN(layer: 1, expert: 2)
        #expect(mine.gate.toArray() == full.gate.toArray() && mine.down.toArray() == full.down.toArray())
        #expect(throws: ModelError.self) { try worker.expertFFN(layer: 1, expert: 1) }

        let router = try Checkpoint(directory: url, config: config, filter: .nonExperts)
        let expertBytes = config.numLayers * config.numExperts * 3 * inner * hidden * 4
        #expect(router.mappedBytes + expertBytes <= router.fileBytes)
        #expect(router.has(WeightNames.routerGate(.mixtral, layer: 0)))
        #expect(!router.has(WeightNames.expertProjection(config, layer: 0, expert: 0, .gate)))
    }

    @Test("experts read from the GGUF equal the safetensors original's (un-stacked, f32)")
    func expertsEqualOriginal() throws {
        let fixture = try GoldenFixture.load("mixtral_basic")
        let config = try ModelConfig.load(directory: fixture.directory)
        let original = try Checkpoint(directory: fixture.directory, config: config)
        let gguf = try Checkpoint(directory: Self.url("mixtral_basic.gguf"), config: config)
        for expert in 0..<config.numExperts {
            let a = try original.expertFFN(layer: 0, expert: expert), b = try gguf.expertFFN(layer: 0, expert: expert)
            #expect(a.gate.toArray() == b.gate.toArray() && a.up.toArray() == b.up.toArray() && a.down.toArray() == b.down.toArray())
        }
        let q = WeightNames.qProj(layer: 1), k = WeightNames.kProj(layer: 1)
        #expect(try original.matrix(q, shape: [config.qDim, config.hiddenSize]).toArray() == gguf.matrix(q, shape: [config.qDim, config.hiddenSize]).toArray())
        #expect(try original.matrix(k, shape: [config.kvDim, config.hiddenSize]).toArray() == gguf.matrix(k, shape: [config.kvDim, config.hiddenSize]).toArray())
    }

    @Test("GGUF architectures map to families through the registry")
    func architecturesMapThroughTheRegistry() {
        #expect(ModelFamily(ggufArchitecture: "llama", expertCount: 8) == .mixtral)
        #expect(ModelFamily(ggufArchitecture: "llama", expertCount: 0) == .llama)
        #expect(ModelFamily(ggufArchitecture: "qwen2moe", expertCount: 60) == .qwen2_moe)
        #expect(ModelFamily(ggufArchitecture: "qwen3moe", expertCount: 128) == .qwen3_moe)
        #expect(ModelFamily(ggufArchitecture: "olmoe", expertCount: 64) == .olmoe)
        #expect(ModelFamily(ggufArchitecture: "bert", expertCount: 0) == nil)
    }
}
