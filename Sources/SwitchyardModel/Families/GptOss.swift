import SwitchyardTensor

/// gpt-oss (`GptOssForCausalLM`): attention sinks (a learned logit per head in the softmax
/// denominator), sliding-window and full-attention layers by `layer_types`, biases on q/k/v/o, YaRN
/// RoPE (by default factor 32 over 4096 positions, `truncate` false), a router linear with a bias
/// whose top-k logits are softmaxed, and experts with biases and a clamped SwiGLU
/// (`swiglu_alpha`, `swiglu_limit`) stored fused with gate and up interleaved, or as MXFP4
/// (`Checkpoint+InterleavedExperts.swift`).
struct GptOss: ModelFamilyDefinition {
    var architecture: String { "GptOssForCausalLM" }
    var supportsYaRN: Bool { true }
    var routerModuleName: String { "router" }
    var interleavedGateUpExperts: Bool { true }

    var defaults: FamilyDefaults {
        FamilyDefaults(intermediate: 2880, moeIntermediate: 2880, numExperts: 128, topK: 4, kvHeads: 8,
                       rmsNormEps: 1e-5, ropeTheta: 150_000, maxPositions: 131_072, bos: nil, eos: [])
    }

    /// `GptOssConfig.__post_init__`'s RoPE when a config names none.
    static let defaultYaRN = RoPE.YaRN(factor: 32, originalMaxPositions: 4096, betaFast: 32, betaSlow: 1,
                                        attentionFactor: RoPE.YaRN.mscale(32), truncate: false)

    func parseQuirks(_ json: ConfigReader, into config: inout ModelConfig) throws {
        // Real checkpoints declare their MXFP4 experts; any other quantization is not read.
        if let quantization = try json.object("quantization_config"), let method = try quantization.string("quant_method"),
           method != "mxfp4" {
            throw ModelError.invalidConfigValue(path: json.path, key: "quantization_config.quant_method",
                                                reason: "\"\(method)\" is not supported (only \"mxfp4\" experts)")
        }
        let bias = try json.bool("attention_bias", default: true)
        (config.attentionBias, config.outputBias) = (bias, bias)
        config.attentionSinks = true
        config.routerBias = true
        config.scoringFunction = .softmaxOverTopK
        config.normTopKProb = false
        config.expertBias = true
        let alpha = try json.double("swiglu_alpha") ?? 1.702
        let limit = try json.double("swiglu_limit") ?? 7.0
        guard limit > 0 else {
            throw ModelError.invalidConfigValue(path: json.path, key: "swiglu_limit", reason: "must be positive, got \(limit)")
        }
        config.expertActivation = .clampedSwiGLU(alpha: Float(alpha), limit: Float(limit))
        if json.value("rope_parameters") == nil && json.value("rope_scaling") == nil {
            config.ropeYaRN = Self.defaultYaRN
        }
        // An absent key is the class default 128; null means no window.
        let window = json.object["sliding_window"] == .null ? nil : (try json.slidingWindowSize() ?? 128)
        let types = try json.stringList("layer_types")
            ?? (0..<config.numLayers).map { $0 % 2 == 0 ? "sliding_attention" : "full_attention" }
        guard types.count == config.numLayers else {
            throw ModelError.inconsistentConfig(path: json.path, reason: "layer_types has \(types.count) entries for \(config.numLayers) layers")
        }
        if let bad = types.first(where: { $0 != "sliding_attention" && $0 != "full_attention" }) {
            throw ModelError.invalidConfigValue(path: json.path, key: "layer_types", reason: "\"\(bad)\" is not \"sliding_attention\" or \"full_attention\"")
        }
        config.slidingWindow = window
        config.slidingWindowLayers = types.indices.filter { types[$0] == "sliding_attention" }
    }

    var ggufArchitectures: [String] { ["gpt-oss"] }

    /// llama.cpp's `gpt-oss`: what the file does not say is fixed by the architecture, as in
    /// llama.cpp's graph and transformers' defaults: sinks, the biased router softmaxed over its
    /// top-k, biased experts with the clamped SwiGLU (alpha 1.702, limit 7), sliding-window layers
    /// at even indices (llama.cpp's pattern; transformers' default `layer_types`), YaRN without
    /// `truncate`.
    func applyGGUF(_ metadata: GGUFMetadata, info: GGUFModelInfo, into config: inout ModelConfig) throws {
        config.attentionSinks = true
        config.routerBias = true
        config.scoringFunction = .softmaxOverTopK
        config.normTopKProb = false
        config.expertBias = true
        config.expertActivation = .clampedSwiGLU(alpha: 1.702, limit: 7)
        config.slidingWindow = info.slidingWindow ?? 128
        config.slidingWindowLayers = Array(stride(from: 0, to: config.numLayers, by: 2))
        config.ropeYaRN?.truncate = false
    }

    func writeConfigKeys(_ config: ModelConfig, into fields: inout [String: JSONOut]) {
        fields["num_local_experts"] = .int(config.numExperts)
        fields["attention_bias"] = .bool(config.attentionBias)
        fields["sliding_window"] = config.slidingWindow.map { .int($0) } ?? .null
        let sliding = Set(config.slidingWindowLayers ?? Array(0..<config.numLayers))
        fields["layer_types"] = .array((0..<config.numLayers).map {
            .string(sliding.contains($0) ? "sliding_attention" : "full_attention")
        })
        if case let .clampedSwiGLU(alpha, limit) = config.expertActivation {
            fields["swiglu_alpha"] = .float(alpha)
            fields["swiglu_limit"] = .float(limit)
        }
        fields["router_aux_loss_coef"] = .double(0.001)
        if let yarn = config.ropeYaRN {
            fields["rope_parameters"] = .object([
                "rope_type": .string("yarn"), "rope_theta": .double(config.ropeTheta), "factor": .double(yarn.factor),
                "original_max_position_embeddings": .int(yarn.originalMaxPositions), "beta_fast": .double(yarn.betaFast),
                "beta_slow": .double(yarn.betaSlow), "truncate": .bool(yarn.truncate),
            ])
        }
    }

    /// gpt-oss's shape at `preset` size: q/k/v/o biases, sinks, alternating sliding (window 128, 32
    /// for tiny) and full layers, YaRN (factor 32 over 4096 positions), biased router and experts
    /// with the clamped SwiGLU; the bench preset routes top-4 of 32 experts.
    func applyPreset(_ preset: ModelPreset, to config: inout ModelConfig) {
        config.attentionBias = true
        config.outputBias = true
        config.attentionSinks = true
        config.routerBias = true
        config.scoringFunction = .softmaxOverTopK
        config.expertBias = true
        config.expertActivation = .clampedSwiGLU(alpha: 1.702, limit: 7)
        config.slidingWindow = preset == .tiny ? 32 : 128
        config.slidingWindowLayers = Array(stride(from: 0, to: config.numLayers, by: 2))
        config.ropeYaRN = Self.defaultYaRN
        config.rmsNormEps = 1e-5
        if preset == .bench {
            config.numExperts = 32
            config.topK = 4
            config.intermediateSize /= 2
            config.moeIntermediateSize = config.intermediateSize
        }
    }
}
