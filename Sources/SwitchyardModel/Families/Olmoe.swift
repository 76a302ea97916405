/// OLMoE (`OlmoeForCausalLM`): RMSNorm over the whole q and k projections, optional clamp of q/k/v
/// (`clip_qkv`), optional attention (and output) bias, every layer sparse, no sliding window.
struct Olmoe: ModelFamilyDefinition {
    var architecture: String { "OlmoeForCausalLM" }
    var ggufArchitectures: [String] { ["olmoe"] }

    var defaults: FamilyDefaults {
        FamilyDefaults(intermediate: 2048, moeIntermediate: 2048, numExperts: 64, topK: 8, kvHeads: nil,
                       rmsNormEps: 1e-5, ropeTheta: 10_000, maxPositions: 4096, bos: nil, eos: [50279])
    }

    func parseQuirks(_ json: ConfigReader, into config: inout ModelConfig) throws {
        if config.qDim != config.hiddenSize {
            throw ModelError.inconsistentConfig(path: json.path, reason: "olmoe normalises the full q projection with a norm of hidden_size: num_attention_heads * head_dim (\(config.qDim)) must equal hidden_size (\(config.hiddenSize))")
        }
        config.normTopKProb = try json.bool("norm_topk_prob", default: false)
        let bias = try json.bool("attention_bias", default: false)
        (config.attentionBias, config.outputBias) = (bias, bias)
        config.qkNorm = .full
        if let value = try json.double("clip_qkv") {
            guard value > 0 else {
                throw ModelError.invalidConfigValue(path: json.path, key: "clip_qkv", reason: "must be positive, got \(value)")
            }
            config.clipQKV = Float(value)
        }
    }

    func applyGGUF(_ metadata: GGUFMetadata, info: GGUFModelInfo, into config: inout ModelConfig) throws {
        if let clip = try metadata.double("olmoe.attention.clamp_kqv"), clip > 0 { config.clipQKV = Float(clip) }
    }

    func writeConfigKeys(_ config: ModelConfig, into fields: inout [String: JSONOut]) {
        fields["num_experts"] = .int(config.numExperts)
        fields["norm_topk_prob"] = .bool(config.normTopKProb)
        fields["attention_bias"] = .bool(config.attentionBias)
        fields["clip_qkv"] = config.clipQKV.map { .float($0) } ?? .null
        fields["router_aux_loss_coef"] = .double(0.01)
    }

    func applyPreset(_ preset: ModelPreset, to config: inout ModelConfig) {
        config.rmsNormEps = 1e-5
        config.qkNorm = .full
    }
}
