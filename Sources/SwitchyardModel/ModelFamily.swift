/// The Mixture-of-Experts model families Switchyard runs, named by their `config.json` `model_type`.
///
/// Each family's math follows its `transformers` modeling file exactly; the differences that matter
/// to loading (tensor names, biases, QK norms, shared experts) are answered here and in `WeightNames`.
public enum ModelFamily: String, Sendable, CaseIterable {
    case mixtral
    case qwen2_moe
    case qwen3_moe
    case olmoe
    case glm4_moe
    case deepseek_v2
    case deepseek_v3

    /// The `architectures` entry transformers writes for the causal-LM class of this family.
    public var architecture: String {
        switch self {
        case .mixtral: "MixtralForCausalLM"
        case .qwen2_moe: "Qwen2MoeForCausalLM"
        case .qwen3_moe: "Qwen3MoeForCausalLM"
        case .olmoe: "OlmoeForCausalLM"
        case .glm4_moe: "Glm4MoeForCausalLM"
        case .deepseek_v2: "DeepseekV2ForCausalLM"
        case .deepseek_v3: "DeepseekV3ForCausalLM"
        }
    }

    /// The `rope_theta` transformers assumes when a config gives none.
    public var defaultRopeTheta: Double {
        switch self {
        case .mixtral: 1_000_000
        case .qwen2_moe, .qwen3_moe, .olmoe, .glm4_moe, .deepseek_v2, .deepseek_v3: 10_000
        }
    }

    /// The supported `model_type` values, comma separated, for error messages.
    public static var supportedList: String {
        allCases.map(\.rawValue).joined(separator: ", ")
    }
}
