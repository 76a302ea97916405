import SwitchyardTensor
import SwitchyardModel
import SwitchyardTokenizer
import Foundation

/// A JSON value written with a fixed layout (sorted keys, two-space indent, integers without a
/// fraction): config files are diffable and byte-identical across runs.
indirect enum JSONOut {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    /// A float written in its shortest round-tripping form (1e-05, not 9.99999974e-06).
    case float(Float)
    case string(String)
    case array([JSONOut])
    case object([String: JSONOut])

    func render(indent: String = "") -> String {
        let inner = indent + "  "
        switch self {
        case .null: return "null"
        case let .bool(value): return value ? "true" : "false"
        case let .int(value): return String(value)
        case let .double(value):
            if value == value.rounded(), abs(value) < 1e15 { return String(format: "%.1f", value) }
            return "\(value)"
        case let .float(value): return value == value.rounded() && abs(value) < 1e7 ? String(format: "%.1f", Double(value)) : "\(value)"
        case let .string(value): return SafetensorsWriter.jsonString(value)
        case let .array(items):
            if items.isEmpty { return "[]" }
            return "[\n" + items.map { inner + $0.render(indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        case let .object(fields):
            if fields.isEmpty { return "{}" }
            return "{\n" + fields.keys.sorted().map { key in
                "\(inner)\(SafetensorsWriter.jsonString(key)): \(fields[key]!.render(indent: inner))"
            }.joined(separator: ",\n") + "\n\(indent)}"
        }
    }
}

extension ModelInitializer {
    /// The `config.json` transformers writes for `config` (every key its config class reads), so
    /// `AutoModelForCausalLM.from_pretrained` and `ModelConfig.load` both accept it.
    public static func configJSON(_ config: ModelConfig) -> String {
        var fields: [String: JSONOut] = [
            "architectures": .array([.string(config.family.architecture)]),
            "model_type": .string(config.family.rawValue),
            "dtype": .string(config.dtype.torchName),
            "torch_dtype": .string(config.dtype.torchName),
            "hidden_act": .string("silu"),
            "hidden_size": .int(config.hiddenSize),
            "intermediate_size": .int(config.intermediateSize),
            "num_hidden_layers": .int(config.numLayers),
            "num_attention_heads": .int(config.numHeads),
            "num_key_value_heads": .int(config.numKVHeads),
            "head_dim": .int(config.headDim),
            "vocab_size": .int(config.vocabSize),
            "max_position_embeddings": .int(config.maxPositionEmbeddings),
            "rms_norm_eps": .float(config.rmsNormEps),
            "rope_parameters": .object(["rope_type": .string("default"), "rope_theta": .double(config.ropeTheta)]),
            "tie_word_embeddings": .bool(config.tieWordEmbeddings),
            "bos_token_id": config.bosTokenID.map { .int($0) } ?? .null,
            "eos_token_id": eosJSON(config.eosTokenIDs),
            "pad_token_id": .null,
            "initializer_range": .double(0.02),
            "attention_dropout": .double(0),
            "use_cache": .bool(true),
            "output_router_logits": .bool(false),
            "num_experts_per_tok": .int(config.topK),
        ]
        switch config.family {
        case .mixtral:
            fields["num_local_experts"] = .int(config.numExperts)
            fields["sliding_window"] = config.slidingWindow.map { .int($0) } ?? .null
            fields["router_aux_loss_coef"] = .double(0.001)
            fields["router_jitter_noise"] = .double(0)
        case .qwen2_moe, .qwen3_moe:
            fields["num_experts"] = .int(config.numExperts)
            fields["moe_intermediate_size"] = .int(config.moeIntermediateSize)
            fields["decoder_sparse_step"] = .int(config.decoderSparseStep)
            fields["mlp_only_layers"] = .array(config.mlpOnlyLayers.map { .int($0) })
            fields["norm_topk_prob"] = .bool(config.normTopKProb)
            fields["router_aux_loss_coef"] = .double(0.001)
            fields["use_sliding_window"] = .bool(config.slidingWindow != nil)
            fields["sliding_window"] = config.slidingWindow.map { .int($0) } ?? .null
            if config.family == .qwen2_moe {
                fields["shared_expert_intermediate_size"] = .int(config.sharedExpertIntermediateSize)
                fields["qkv_bias"] = .bool(config.attentionBias)
                fields["max_window_layers"] = .int(config.numLayers)
                if config.slidingWindow != nil {
                    let sliding = Set(config.slidingWindowLayers ?? Array(0..<config.numLayers))
                    fields["layer_types"] = .array((0..<config.numLayers).map {
                        .string(sliding.contains($0) ? "sliding_attention" : "full_attention")
                    })
                }
            } else {
                fields["attention_bias"] = .bool(config.attentionBias)
            }
        case .olmoe:
            fields["num_experts"] = .int(config.numExperts)
            fields["norm_topk_prob"] = .bool(config.normTopKProb)
            fields["attention_bias"] = .bool(config.attentionBias)
            fields["clip_qkv"] = config.clipQKV.map { .float($0) } ?? .null
            fields["router_aux_loss_coef"] = .double(0.01)
        case .glm4_moe:
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
        case .deepseek_v2, .deepseek_v3:
            let mla = config.latentAttention ?? ModelConfig.LatentAttentionShape(
                qLoraRank: nil, kvLoraRank: 0, nopeHeadDim: 0, ropeHeadDim: config.headDim, valueHeadDim: 0)
            fields["n_routed_experts"] = .int(config.numExperts)
            fields["moe_intermediate_size"] = .int(config.moeIntermediateSize)
            fields["n_shared_experts"] = .int(config.sharedExpertIntermediateSize / max(config.moeIntermediateSize, 1))
            fields["norm_topk_prob"] = .bool(config.normTopKProb)
            fields["routed_scaling_factor"] = .float(config.routedScalingFactor)
            fields["first_k_dense_replace"] = .int(config.mlpOnlyLayers.count)
            fields["attention_bias"] = .bool(config.attentionBias)
            fields["q_lora_rank"] = mla.qLoraRank.map { .int($0) } ?? .null
            fields["kv_lora_rank"] = .int(mla.kvLoraRank)
            fields["qk_nope_head_dim"] = .int(mla.nopeHeadDim)
            fields["qk_rope_head_dim"] = .int(mla.ropeHeadDim)
            fields["v_head_dim"] = .int(mla.valueHeadDim)
            fields["num_nextn_predict_layers"] = .int(0)
            let grouped = config.expertGroups > 1
            fields["n_group"] = grouped ? .int(config.expertGroups) : .null
            fields["topk_group"] = grouped ? .int(config.topKGroups) : .null
            if config.family == .deepseek_v3 {
                fields["scoring_func"] = .string("sigmoid")
                fields["topk_method"] = .string("noaux_tc")
                fields["rope_interleave"] = .bool(config.ropeInterleaved)
            } else {
                fields["scoring_func"] = .string("softmax")
                fields["topk_method"] = .string(grouped ? "group_limited_greedy" : "greedy")
            }
        }
        return JSONOut.object(fields).render() + "\n"
    }

    /// The `generation_config.json` for `config`.
    public static func generationConfigJSON(_ config: ModelConfig) -> String {
        JSONOut.object([
            "_from_model_config": .bool(true),
            "bos_token_id": config.bosTokenID.map { .int($0) } ?? .null,
            "eos_token_id": eosJSON(config.eosTokenIDs),
        ]).render() + "\n"
    }

    private static func eosJSON(_ ids: [Int]) -> JSONOut {
        switch ids.count {
        case 0: .null
        case 1: .int(ids[0])
        default: .array(ids.map { .int($0) })
        }
    }
}
