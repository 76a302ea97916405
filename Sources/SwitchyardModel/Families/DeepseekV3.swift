/// DeepSeek-V3 (`DeepseekV3ForCausalLM`): MLA with a q LoRA and (by `rope_interleave`) interleaved
/// RoPE, noaux_tc routing: sigmoid scores with `e_score_correction_bias` over expert groups ranked by
/// their top-2 sum, `routed_scaling_factor`; see `DeepseekFamily` for the rest.
struct DeepseekV3: DeepseekFamily {
    var architecture: String { "DeepseekV3ForCausalLM" }
    var firstDenseLayersDefault: Int? { 3 }

    var defaults: FamilyDefaults {
        FamilyDefaults(intermediate: 18432, moeIntermediate: 2048, numExperts: 256, topK: 8, kvHeads: nil,
                       rmsNormEps: 1e-6, ropeTheta: 10_000, maxPositions: 4096, bos: 0, eos: [1])
    }

    func parseQuirks(_ json: ConfigReader, into config: inout ModelConfig) throws {
        try parseCommonQuirks(json, into: &config, sharedExperts: 1)
        config.normTopKProb = try json.bool("norm_topk_prob", default: true)
        config.ropeInterleaved = try json.bool("rope_interleave", default: true)
        // DeepseekV3TopkRouter: the same noaux_tc routing as glm4_moe; real configs also name it.
        try ModelConfig.expect(json, "scoring_func", "sigmoid")
        try ModelConfig.expect(json, "topk_method", "noaux_tc")
        try config.setGroupedRouting(json, scoring: .sigmoid, correctionBias: true, groupScore: .topTwoSum,
                                     groups: try json.int("n_group", default: 8), topKGroups: try json.int("topk_group", default: 4))
    }

    /// llama.cpp's `deepseek2` with sigmoid gating (`expert_gating_func` 2): DeepSeek-V3, R1, Kimi-K2.
    func readsGGUF(_ info: GGUFModelInfo) -> Bool {
        info.architecture == .deepseek2 && info.expertGatingFunction == 2
    }

    /// noaux_tc routing: the correction bias is the `exp_probs_b` tensor; the converter writes
    /// `expert_weights_norm` only when `norm_topk_prob` is true.
    func applyGGUF(_ metadata: GGUFMetadata, info: GGUFModelInfo, into config: inout ModelConfig) throws {
        try applyCommonGGUF(metadata, info: info, into: &config)
        config.normTopKProb = info.expertWeightsNorm ?? false
        try config.setGroupedRouting(gguf: metadata, info: info, scoring: .sigmoid, correctionBias: true, groupScore: .topTwoSum)
    }

    func writeConfigKeys(_ config: ModelConfig, into fields: inout [String: JSONOut]) {
        writeCommonConfigKeys(config, into: &fields)
        fields["scoring_func"] = .string("sigmoid")
        fields["topk_method"] = .string("noaux_tc")
        fields["rope_interleave"] = .bool(config.ropeInterleaved)
    }

    func applyPreset(_ preset: ModelPreset, to config: inout ModelConfig) {
        applyCommonPreset(preset, to: &config, qLora: true)
        let bench = preset == .bench
        config.normTopKProb = true
        config.scoringFunction = .sigmoid
        config.scoreCorrectionBias = true
        config.expertGroups = bench ? 8 : 2
        config.topKGroups = bench ? 4 : 1
        config.groupScore = .topTwoSum
        config.routedScalingFactor = 2.5
    }
}
