import SwitchyardTensor
import SwitchyardModel
import SwitchyardTokenizer
import Foundation

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
        config.family.definition.writeConfigKeys(config, into: &fields)
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
