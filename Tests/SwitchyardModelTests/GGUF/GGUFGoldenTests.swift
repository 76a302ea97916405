import Foundation
import Testing
import SwitchyardTensor
import TestSupport
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
        // Converted by llama.cpp's own convert_hf_to_gguf.py (scripts/convert_fixture_gguf.py).
        ("deepseek_v2_lite.gguf", "deepseek_v2_lite", GoldenFixture.logprobTolerance),
        ("deepseek_v2_groups.gguf", "deepseek_v2_groups", GoldenFixture.logprobTolerance),
        ("deepseek_v3_qlora.gguf", "deepseek_v3_qlora", GoldenFixture.logprobTolerance),
        // llama-quantize's Q4_K_M of it: rows this narrow fall back to q5_0, q8_0 and f16 (q5_0
        // expanded at load). Five-bit weights move this tiny random model's sigmoid routing a lot,
        // so this checks that such a file loads and runs close to the original (greedy tokens
        // where the reference's margin exceeds 4x the tolerance); q5_0's exactness is
        // QuantWeightsTests' (`expandedFormatsDequantizeAsGGUF`).
        ("deepseek_v3_qlora_q4_K_M.gguf", "deepseek_v3_qlora", 5.0),
        ("glm4_moe_groups.gguf", "glm4_moe_groups", GoldenFixture.logprobTolerance),
        ("glm4_moe_bf16.gguf", "glm4_moe_bf16",
         KernelPath.bf16DotProduct ? GoldenFixture.bf16ActivationTolerance : GoldenFixture.logprobTolerance),
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
        // The loose Q4_K_M smoke case has no margin that wide; every other case checks tokens.
        #expect(checked > 0 || tolerance >= 1)
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

    @Test("GGUF architectures map to families through the registry", arguments: [
        ("llama_untied_bias.gguf", ModelFamily.llama), ("mixtral_basic.gguf", .mixtral),
        ("deepseek_v2_lite.gguf", .deepseek_v2), ("deepseek_v2_groups.gguf", .deepseek_v2),
        ("deepseek_v3_qlora.gguf", .deepseek_v3), ("glm4_moe_groups.gguf", .glm4_moe), ("gpt_oss_sliding_sinks.gguf", .gpt_oss),
    ])
    func architecturesMapThroughTheRegistry(file: String, family: ModelFamily) throws {
        let info = try GGUFModelInfo(file: GGUFFile(path: GGUFFixtures.path(file)))
        #expect(ModelFamily(gguf: info) == family)
    }

    /// What a gpt-oss GGUF cannot say, llama.cpp's graph fixes (clamped SwiGLU limit 7, sliding
    /// windows at even layers); the fixtures vary both, so their GGUF copies (llama.cpp's converter:
    /// gate/up split from the interleaved `gate_up_proj`, MXFP4 repacked) are held to the engine on
    /// the safetensors original with its config pinned to those values, both loaded alike: MXFP4
    /// kept 4-bit (`auto`: the same blocks whichever file they came from, `mxfp4BlocksAgree`) or
    /// expanded to bf16. Kept, the products see activations quantized per block of 32, where the
    /// last-bit differences of the router's f32 (GGUF) and bf16 (safetensors) weights can round
    /// an activation the other way: this tiny random model turns that into a few hundredths.
    @Test("gpt-oss GGUF copies give what their safetensors originals give under llama.cpp's fixed choices", arguments: [
        ("gpt_oss_sliding_sinks.gguf", "gpt_oss_sliding_sinks", WeightDType.auto, 1e-4),
        // The router is f32 in the GGUF, bf16 in the original: with bf16-rounded activations
        // (`vdpbf16ps`) only the original's router rounds its input.
        ("gpt_oss_mxfp4.gguf", "gpt_oss_mxfp4", WeightDType.format(.bf16), KernelPath.bf16DotProduct ? 0.25 : 1e-4),
        ("gpt_oss_mxfp4.gguf", "gpt_oss_mxfp4", WeightDType.auto, KernelPath.bf16DotProduct ? 0.25 : 0.1),
    ])
    func gptOssMatchesPinnedOriginal(file: String, fixtureName: String, expertDType: WeightDType, tolerance: Double) async throws {
        let fixture = try GoldenFixture.load(fixtureName)
        let pinned = try TemporaryDirectory()
        for name in try FileManager.default.contentsOfDirectory(atPath: fixture.directory.path) {
            try FileManager.default.copyItem(at: fixture.directory.appendingPathComponent(name), to: pinned.url.appendingPathComponent(name))
        }
        let configURL = pinned.url.appendingPathComponent("config.json")
        var json = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        let layers = try #require(json["num_hidden_layers"] as? Int)
        json["swiglu_limit"] = 7.0
        json["layer_types"] = (0..<layers).map { $0 % 2 == 0 ? "sliding_attention" : "full_attention" }
        try JSONSerialization.data(withJSONObject: json).write(to: configURL)

        let dtypes = WeightDTypes(experts: expertDType, dense: .auto)
        let original = try Engine.load(directory: pinned.url, dtypes: dtypes)
        let gguf = try Engine.load(directory: Self.url(file), dtypes: dtypes)
        #expect(gguf.config.slidingWindowLayers == original.config.slidingWindowLayers)
        #expect(gguf.config.expertActivation == original.config.expertActivation)
        var compared = 0
        for prompt in fixture.prompts {
            let steps = prompt.greedyTokenIDs.count
            let caches = [original, gguf].map { KVCache(config: $0.config, capacity: prompt.tokenIDs.count + steps) }
            var tokens = prompt.tokenIDs
            for step in 0...steps {
                var rows: [[Float]] = []
                for (engine, cache) in zip([original, gguf], caches) {
                    let logits = try await engine.forward([EngineInput(cache: cache, tokens: tokens)])
                    var logprobs = [Float](repeating: 0, count: logits.cols)
                    LogSoftmax.compute(UnsafeBufferPointer(start: logits.row(0), count: logits.cols), into: &logprobs)
                    rows.append(logprobs)
                }
                let worst = zip(rows[0], rows[1]).map { abs(Double($0) - Double($1)) }.max() ?? .infinity
                #expect(worst < tolerance, "\(file) step \(step): max |Δ logprob| \(worst)")
                compared += 1
                // Continue both on the original's greedy token.
                tokens = [Int32(VectorOps.argmax(rows[0], count: rows[0].count))]
                if step == steps { break }
            }
        }
        #expect(compared > 0)
    }

    /// gpt-oss MXFP4 experts kept 4-bit hold the same values whether they come from transformers'
    /// `*_blocks` / `*_scales` (decoded, then requantized) or from llama.cpp's repacked GGUF blocks.
    @Test func mxfp4BlocksAgree() throws {
        let fixture = try GoldenFixture.load("gpt_oss_mxfp4")
        let original = try Checkpoint(directory: fixture.directory, config: ModelConfig.load(directory: fixture.directory))
        let url = Self.url("gpt_oss_mxfp4.gguf")
        let gguf = try Checkpoint(directory: url, config: ModelConfig.load(directory: url))
        for key in [ExpertKey(layer: 0, expert: 0), ExpertKey(layer: 2, expert: 5)] {
            let a = try original.packedExpertFFN(layer: key.layer, expert: key.expert)
            let b = try gguf.packedExpertFFN(layer: key.layer, expert: key.expert)
            for (x, y) in [(a.gateUp, b.gateUp), (a.down, b.down)] {
                let (p, q) = (try #require(x as? BlockWeight), try #require(y as? BlockWeight))
                #expect(p.format == .mxfp4 && q.format == .mxfp4)
                #expect(p.rows == q.rows)
                for row in 0..<p.rows { #expect(p.dequantizedRow(row) == q.dequantizedRow(row), "\(key) row \(row)") }
            }
            #expect(a.gateUpBias == b.gateUpBias && a.downBias == b.downBias)
        }
    }

    /// A wrong hyperparameter in a deepseek2 / glm4moe / gpt-oss file is an error naming the file's
    /// key and what is wrong (metadata-only copies: scripts/make_gguf_bad_config_fixtures.py).
    @Test("a wrong hyperparameter of a new GGUF architecture is a clear error naming its key", arguments: [
        ("deepseek2_gating_3", "deepseek2.expert_gating_func", "gating function 3"),
        ("deepseek2_no_kv_lora_rank", "deepseek2.attention.kv_lora_rank", "missing"),
        ("deepseek2_groups_3", "deepseek2.expert_group_count", "divide"),
        ("glm4moe_nextn_all_blocks", "glm4moe.nextn_predict_layers", "no decoder layer"),
        ("glm4moe_rope_linear", "glm4moe.rope.scaling.type", "'linear' is not implemented"),
        ("gptoss_yarn_no_factor", "gpt-oss.rope.scaling.factor", "positive factor"),
    ])
    func badHyperparameters(file: String, key: String, reason: String) throws {
        let url = URL(fileURLWithPath: GGUFFixtures.path("bad_config/\(file).gguf"))
        #expect {
            try ModelConfig.load(directory: url)
        } throws: { error in
            guard let error = error as? GGUFError else { return false }
            return error.key == key && error.detail.contains(reason) && "\(error)".contains("\(file).gguf")
        }
    }
}
