/// The model families Switchyard runs, named by their `config.json` `model_type`: the family registry.
///
/// Each family is one file under `Families/` (a `ModelFamilyDefinition`: config quirks and defaults,
/// tensor names, routing flags, presets, config writer); this enum lists them. Adding a family means
/// writing its file, adding its case here and its line in `definition`; nothing else changes.
public enum ModelFamily: String, Sendable, CaseIterable {
    case mixtral
    case qwen2_moe
    case qwen3_moe
    case olmoe
    case llama
    case glm4_moe
    case deepseek_v2
    case deepseek_v3
    case gpt_oss

    /// The registry: what each `model_type` is.
    package var definition: any ModelFamilyDefinition {
        switch self {
        case .mixtral: Mixtral()
        case .qwen2_moe: Qwen2Moe()
        case .qwen3_moe: Qwen3Moe()
        case .olmoe: Olmoe()
        case .llama: Llama()
        case .glm4_moe: GLM4Moe()
        case .deepseek_v2: DeepseekV2()
        case .deepseek_v3: DeepseekV3()
        case .gpt_oss: GptOss()
        }
    }

    /// The family a GGUF model (`general.architecture` and its hyperparameters) maps to, nil when no
    /// registered family reads it.
    package init?(gguf info: GGUFModelInfo) {
        guard let family = Self.allCases.first(where: { $0.definition.readsGGUF(info) }) else {
            return nil
        }
        self = family
    }

    /// The `architectures` entry transformers writes for the causal-LM class of this family.
    public var architecture: String { definition.architecture }

    /// The `rope_theta` transformers assumes when a config gives none.
    public var defaultRopeTheta: Double { definition.defaults.ropeTheta }

    /// The GGUF architectures the registered families read, comma separated, for error messages.
    public static var supportedGGUFList: String {
        Array(Set(allCases.flatMap { $0.definition.ggufArchitectures })).sorted().joined(separator: ", ")
    }

    /// The supported `model_type` values, comma separated, for error messages.
    public static var supportedList: String {
        allCases.map(\.rawValue).joined(separator: ", ")
    }
}
