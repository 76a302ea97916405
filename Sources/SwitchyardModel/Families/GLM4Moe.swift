/// GLM-4.5 / GLM-4.6 MoE (`Glm4MoeForCausalLM`): the first `first_k_dense_replace` layers dense,
/// sigmoid routing with `e_score_correction_bias` over expert groups ranked by their top-2 sum,
/// `routed_scaling_factor`, `n_shared_experts` ungated shared experts, partial rotary (half the head
/// by default), q/k/v biases (`attention_bias`, none on o) and an optional per-head q/k norm.
struct GLM4Moe: ModelFamilyDefinition {
    var architecture: String { "Glm4MoeForCausalLM" }
    var hasDenseLayers: Bool { true }
    var firstDenseLayersDefault: Int? { 1 }
    var supportsPartialRotary: Bool { true }
    var defaultPartialRotaryFactor: Double { 0.5 }

    var defaults: FamilyDefaults {
        FamilyDefaults(intermediate: 10944, moeIntermediate: 1408, numExperts: 128, topK: 8, kvHeads: 8,
                       rmsNormEps: 1e-5, ropeTheta: 10_000, maxPositions: 131072, bos: nil, eos: [])
    }

    func parseQuirks(_ json: ConfigReader, into config: inout ModelConfig) throws {
        try config.setSharedExperts(json, defaultCount: 1)
        config.normTopKProb = try json.bool("norm_topk_prob", default: true)
        // Glm4MoeTopkRouter: sigmoid scores, e_score_correction_bias, groups by their top-2 sum.
        try config.setGroupedRouting(json, scoring: .sigmoid, correctionBias: true, groupScore: .topTwoSum,
                                     groups: try json.int("n_group", default: 1), topKGroups: try json.int("topk_group", default: 1))
        config.attentionBias = try json.bool("attention_bias", default: false)
        config.qkNorm = try json.bool("use_qk_norm", default: false) ? .perHead : .none
    }

    var ggufArchitectures: [String] { ["glm4moe"] }

    /// llama.cpp's `glm4moe`: sigmoid gating with the `exp_probs_b` correction bias, groups by their
    /// top-2 sum, `leading_dense_block_count` dense layers, partial rotary from `rope.dimension_count`
    /// (read by the common code), RoPE in halves (ggml's NeoX mode, as transformers).
    func applyGGUF(_ metadata: GGUFMetadata, info: GGUFModelInfo, into config: inout ModelConfig) throws {
        if let gating = info.expertGatingFunction, gating != 2 {
            throw GGUFError(.invalidValue, file: metadata.file, key: "glm4moe.expert_gating_func",
                            "gating function \(gating) is not supported for glm4moe (2 sigmoid)")
        }
        guard info.leadingDenseBlockCount <= config.numLayers else {
            throw GGUFError(.invalidValue, file: metadata.file, key: "glm4moe.leading_dense_block_count",
                            "\(info.leadingDenseBlockCount) exceeds the \(config.numLayers) layers")
        }
        config.mlpOnlyLayers = Array(0..<info.leadingDenseBlockCount)
        if config.sharedExpertIntermediateSize > 0 { config.sharedExpertGated = false }
        config.normTopKProb = info.expertWeightsNorm ?? false
        try config.setGroupedRouting(gguf: metadata, info: info, scoring: .sigmoid, correctionBias: true, groupScore: .topTwoSum)
    }

    func writeConfigKeys(_ config: ModelConfig, into fields: inout [String: JSONOut]) {
        fields["n_routed_experts"] = .int(config.numExperts)
        fields["moe_intermediate_size"] = .int(config.moeIntermediateSize)
        fields["n_shared_experts"] = .int(config.sharedExpertIntermediateSize / max(config.moeIntermediateSize, 1))
        fields["norm_topk_prob"] = .bool(config.normTopKProb)
        fields["n_group"] = .int(config.expertGroups)
        fields["topk_group"] = .int(config.topKGroups)
        fields["routed_scaling_factor"] = .float(config.routedScalingFactor)
        fields["first_k_dense_replace"] = .int(config.mlpOnlyLayers.count)
        fields["attention_bias"] = .bool(config.attentionBias)
        fields["use_qk_norm"] = .bool(config.qkNorm == .perHead)
        fields["num_nextn_predict_layers"] = .int(0)
        fields["rope_parameters"] = .object([
            "rope_type": .string("default"), "rope_theta": .double(config.ropeTheta),
            "partial_rotary_factor": .double(Double(config.rotaryDim) / Double(config.headDim)),
        ])
    }

    /// GLM-4.5's shape at `preset` size: a dense first layer, sigmoid routing with a correction
    /// bias over 2 expert groups, routed_scaling_factor 2.5, one shared expert, half-rotary heads
    /// and q/k/v biases.
    func applyPreset(_ preset: ModelPreset, to config: inout ModelConfig) {
        let moe = preset == .bench ? config.intermediateSize / 4 : config.intermediateSize / 2
        config.moeIntermediateSize = moe
        config.sharedExpertIntermediateSize = moe
        config.sharedExpertGated = false
        config.mlpOnlyLayers = [0]
        config.normTopKProb = true
        config.scoringFunction = .sigmoid
        config.scoreCorrectionBias = true
        config.expertGroups = 2
        config.topKGroups = preset == .tiny ? 1 : 2
        config.groupScore = .topTwoSum
        config.routedScalingFactor = 2.5
        config.rotaryDim = config.headDim / 2
        config.attentionBias = true
        config.rmsNormEps = 1e-5
    }
}
