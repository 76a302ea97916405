/// Dense Llama (`LlamaForCausalLM`: Llama 2/3.x, SmolLM2, Mistral-style dense models): no routed
/// experts; each layer's MLP is the always-selected FFN expert 0 (`model.layers.L.mlp.*_proj`),
/// served like any dense layer, in one process or by workers. `attention_bias` puts biases on q, k,
/// v and o; `mlp_bias` is refused; Llama 3 RoPE scaling is read by the common config parser.
/// GGUF architecture `llama` without `llama.expert_count` (with experts it is Mixtral).
struct Llama: ModelFamilyDefinition {
    var architecture: String { "LlamaForCausalLM" }
    var ggufArchitectures: [String] { ["llama"] }

    func readsGGUF(_ info: GGUFModelInfo) -> Bool { info.architecture == .llama && info.expertCount == 0 }
    var allowsNoExperts: Bool { true }

    var defaults: FamilyDefaults {
        FamilyDefaults(intermediate: 11008, moeIntermediate: 11008, numExperts: 0, topK: 0, kvHeads: nil,
                       rmsNormEps: 1e-6, ropeTheta: 10_000, maxPositions: 2048, bos: 1, eos: [2])
    }

    func parseQuirks(_ json: ConfigReader, into config: inout ModelConfig) throws {
        if config.numExperts != 0 {
            throw ModelError.invalidConfigValue(path: json.path, key: "num_experts", reason: "a llama model is dense; got \(config.numExperts) experts (a Mixtral checkpoint says model_type \"mixtral\")")
        }
        if try json.bool("mlp_bias", default: false) {
            throw ModelError.invalidConfigValue(path: json.path, key: "mlp_bias", reason: "true is not implemented (FFN projections without bias only)")
        }
        if let tp = try json.int("pretraining_tp"), tp != 1 {
            throw ModelError.invalidConfigValue(path: json.path, key: "pretraining_tp", reason: "must be 1 (transformers computes the same result for any value only in inference; got \(tp))")
        }
        let bias = try json.bool("attention_bias", default: false)
        (config.attentionBias, config.outputBias) = (bias, bias)
        config.topK = 0
    }

    func writeConfigKeys(_ config: ModelConfig, into fields: inout [String: JSONOut]) {
        fields["num_experts_per_tok"] = nil
        fields["output_router_logits"] = nil
        fields["attention_bias"] = .bool(config.attentionBias)
        fields["mlp_bias"] = .bool(false)
        fields["pretraining_tp"] = .int(1)
        if let scaling = config.ropeScaling {
            fields["rope_parameters"] = .object([
                "rope_type": .string("llama3"), "rope_theta": .double(config.ropeTheta),
                "factor": .double(scaling.factor), "low_freq_factor": .double(scaling.lowFrequencyFactor),
                "high_freq_factor": .double(scaling.highFrequencyFactor),
                "original_max_position_embeddings": .int(scaling.originalMaxPositions),
            ])
        }
    }

    func applyPreset(_ preset: ModelPreset, to config: inout ModelConfig) {
        config.numExperts = 0
        config.topK = 0
        config.rmsNormEps = 1e-5
        config.tieWordEmbeddings = preset != .bench
    }
}
