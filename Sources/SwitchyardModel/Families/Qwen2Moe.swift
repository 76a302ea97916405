/// Qwen2-MoE (`Qwen2MoeForCausalLM`): a shared expert (id `numExperts`) weighted by
/// `sigmoid(shared_expert_gate · x)`, q/k/v biases (`qkv_bias`), dense layers by
/// `decoder_sparse_step` / `mlp_only_layers`, and a sliding window on the layers `layer_types` names.
struct Qwen2Moe: ModelFamilyDefinition {
    var architecture: String { "Qwen2MoeForCausalLM" }
    var ggufArchitectures: [String] { ["qwen2moe"] }
    var hasDenseLayers: Bool { true }

    var defaults: FamilyDefaults {
        FamilyDefaults(intermediate: 5632, moeIntermediate: 1408, numExperts: 60, topK: 4, kvHeads: 16,
                       rmsNormEps: 1e-6, ropeTheta: 10_000, maxPositions: 32768, bos: nil, eos: [])
    }

    func parseQuirks(_ json: ConfigReader, into config: inout ModelConfig) throws {
        let shared = try json.int("shared_expert_intermediate_size", default: 5632)
        guard shared >= 0 else {
            throw ModelError.invalidConfigValue(path: json.path, key: "shared_expert_intermediate_size", reason: "must not be negative, got \(shared)")
        }
        config.sharedExpertIntermediateSize = shared
        config.normTopKProb = try json.bool("norm_topk_prob", default: false)
        config.attentionBias = try json.bool("qkv_bias", default: true)
        (config.slidingWindow, config.slidingWindowLayers) = try slidingWindow(json, layers: config.numLayers)
    }

    private func slidingWindow(_ json: ConfigReader, layers: Int) throws -> (Int?, [Int]?) {
        guard try json.bool("use_sliding_window", default: false), let size = try json.slidingWindowSize() else { return (nil, nil) }
        let types: [String]
        if let given = try json.stringList("layer_types") {
            guard given.count == layers else {
                throw ModelError.inconsistentConfig(path: json.path, reason: "layer_types has \(given.count) entries for \(layers) layers")
            }
            types = given
        } else {
            let maxWindowLayers = try json.int("max_window_layers", default: 28)
            types = (0..<layers).map { ($0 + 1) % 2 == 1 && $0 < maxWindowLayers ? "sliding_attention" : "full_attention" }
        }
        return (size, types.indices.filter { types[$0] == "sliding_attention" })
    }

    func writeConfigKeys(_ config: ModelConfig, into fields: inout [String: JSONOut]) {
        QwenMoeConfigKeys.write(config, into: &fields)
        fields["shared_expert_intermediate_size"] = .int(config.sharedExpertIntermediateSize)
        fields["qkv_bias"] = .bool(config.attentionBias)
        fields["max_window_layers"] = .int(config.numLayers)
        if config.slidingWindow != nil {
            let sliding = Set(config.slidingWindowLayers ?? Array(0..<config.numLayers))
            fields["layer_types"] = .array((0..<config.numLayers).map {
                .string(sliding.contains($0) ? "sliding_attention" : "full_attention")
            })
        }
    }

    func applyPreset(_ preset: ModelPreset, to config: inout ModelConfig) {
        if preset != .bench { config.moeIntermediateSize = config.intermediateSize / 2 }
        config.sharedExpertIntermediateSize = config.intermediateSize
        config.attentionBias = true
    }
}

/// The `config.json` keys qwen2_moe and qwen3_moe write alike.
enum QwenMoeConfigKeys {
    static func write(_ config: ModelConfig, into fields: inout [String: JSONOut]) {
        fields["num_experts"] = .int(config.numExperts)
        fields["moe_intermediate_size"] = .int(config.moeIntermediateSize)
        fields["decoder_sparse_step"] = .int(config.decoderSparseStep)
        fields["mlp_only_layers"] = .array(config.mlpOnlyLayers.map { .int($0) })
        fields["norm_topk_prob"] = .bool(config.normTopKProb)
        fields["router_aux_loss_coef"] = .double(0.001)
        fields["use_sliding_window"] = .bool(config.slidingWindow != nil)
        fields["sliding_window"] = config.slidingWindow.map { .int($0) } ?? .null
    }
}
