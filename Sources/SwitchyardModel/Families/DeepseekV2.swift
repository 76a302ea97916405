/// DeepSeek-V2 (`DeepseekV2ForCausalLM`): MLA with interleaved RoPE, softmax routing with greedy or
/// group-limited greedy top-k (groups ranked by their max) that never renormalises, scaled by
/// `routed_scaling_factor`; see `DeepseekFamily` for the rest.
struct DeepseekV2: DeepseekFamily {
    var architecture: String { "DeepseekV2ForCausalLM" }
    var firstDenseLayersDefault: Int? { 0 }

    var defaults: FamilyDefaults {
        FamilyDefaults(intermediate: 11008, moeIntermediate: 1407, numExperts: 64, topK: 6, kvHeads: nil,
                       rmsNormEps: 1e-6, ropeTheta: 10_000, maxPositions: 2048, bos: 1, eos: [2])
    }

    func parseQuirks(_ json: ConfigReader, into config: inout ModelConfig) throws {
        try parseCommonQuirks(json, into: &config, sharedExperts: 2)
        // deepseek_v2's router never renormalises, whatever norm_topk_prob says.
        config.normTopKProb = false
        config.ropeInterleaved = true
        // DeepseekV2TopkRouter: softmax, then greedy or group-limited greedy (groups by their max).
        try ModelConfig.expect(json, "scoring_func", "softmax")
        var (groups, kept) = (1, 1)
        let method = try json.string("topk_method") ?? "greedy"
        switch method {
        case "greedy":
            break
        case "group_limited_greedy":
            guard let given = try json.int("n_group"), let keep = try json.int("topk_group") else {
                throw ModelError.inconsistentConfig(path: json.path, reason: "topk_method \"group_limited_greedy\" needs n_group and topk_group")
            }
            (groups, kept) = (given, keep)
        default:
            throw ModelError.invalidConfigValue(path: json.path, key: "topk_method", reason: "\"\(method)\" is not supported for deepseek_v2 (greedy, group_limited_greedy)")
        }
        try config.setGroupedRouting(json, scoring: .softmax, correctionBias: false, groupScore: .max,
                                     groups: groups, topKGroups: kept)
    }

    /// llama.cpp's `deepseek2` without sigmoid gating (`expert_gating_func` 1 or absent, as older
    /// DeepSeek-V2 files have it): softmax routing, groups (if any) ranked by their max.
    func readsGGUF(_ info: GGUFModelInfo) -> Bool {
        info.architecture == .deepseek2 && (info.expertGatingFunction ?? 1) != 2
    }

    func applyGGUF(_ metadata: GGUFMetadata, info: GGUFModelInfo, into config: inout ModelConfig) throws {
        try applyCommonGGUF(metadata, info: info, into: &config)
        if let gating = info.expertGatingFunction, gating != 1 {
            throw GGUFError(.invalidValue, file: metadata.file, key: "deepseek2.expert_gating_func",
                            "gating function \(gating) is not supported (1 softmax, 2 sigmoid)")
        }
        config.normTopKProb = false
        try config.setGroupedRouting(gguf: metadata, info: info, scoring: .softmax, correctionBias: false, groupScore: .max)
    }

    func writeConfigKeys(_ config: ModelConfig, into fields: inout [String: JSONOut]) {
        writeCommonConfigKeys(config, into: &fields)
        fields["scoring_func"] = .string("softmax")
        fields["topk_method"] = .string(config.expertGroups > 1 ? "group_limited_greedy" : "greedy")
    }

    func applyPreset(_ preset: ModelPreset, to config: inout ModelConfig) {
        applyCommonPreset(preset, to: &config, qLora: false)
        config.normTopKProb = false
    }
}
