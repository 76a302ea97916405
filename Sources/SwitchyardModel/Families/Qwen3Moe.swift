/// Qwen3-MoE (`Qwen3MoeForCausalLM`): per-head RMSNorm of q and k, optional attention (and output)
/// bias, dense layers by `decoder_sparse_step` / `mlp_only_layers`, sliding window on every layer
/// when `use_sliding_window`.
struct Qwen3Moe: ModelFamilyDefinition {
    var architecture: String { "Qwen3MoeForCausalLM" }
    var ggufArchitectures: [String] { ["qwen3moe"] }
    var hasDenseLayers: Bool { true }

    var defaults: FamilyDefaults {
        FamilyDefaults(intermediate: 6144, moeIntermediate: 768, numExperts: 128, topK: 8, kvHeads: 4,
                       rmsNormEps: 1e-6, ropeTheta: 10_000, maxPositions: 32768, bos: nil, eos: [])
    }

    func parseQuirks(_ json: ConfigReader, into config: inout ModelConfig) throws {
        config.normTopKProb = try json.bool("norm_topk_prob", default: false)
        let bias = try json.bool("attention_bias", default: false)
        (config.attentionBias, config.outputBias) = (bias, bias)
        config.qkNorm = .perHead
        config.slidingWindow = try json.bool("use_sliding_window", default: false) ? try json.slidingWindowSize() : nil
    }

    func applyGGUF(_ metadata: GGUFMetadata, info: GGUFModelInfo, into config: inout ModelConfig) throws {
        // llama.cpp's qwen3moe graph renormalises the top-k weights (norm_topk_prob true in the Hub configs).
        config.normTopKProb = info.expertWeightsNorm ?? true
    }

    func writeConfigKeys(_ config: ModelConfig, into fields: inout [String: JSONOut]) {
        QwenMoeConfigKeys.write(config, into: &fields)
        fields["attention_bias"] = .bool(config.attentionBias)
    }

    func applyPreset(_ preset: ModelPreset, to config: inout ModelConfig) {
        if preset != .bench { config.moeIntermediateSize = config.intermediateSize / 2 }
        config.qkNorm = .perHead
    }
}
