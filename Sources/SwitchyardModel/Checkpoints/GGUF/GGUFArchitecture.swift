/// Model architectures (`general.architecture`) whose hyperparameters are mapped.
public enum GGUFArchitecture: String, Sendable, CaseIterable {
    /// Dense Llama and Mixtral-style MoE (`llama.expert_count` > 0).
    case llama
    case qwen2moe
    case qwen3moe
    case olmoe
    case deepseek2
    case glm4moe
    case gptOSS = "gpt-oss"

    /// Parses `general.architecture`, throwing an error that lists the supported ones.
    public static func from(_ metadata: GGUFMetadata) throws -> GGUFArchitecture {
        let name = try metadata.requireString("general.architecture")
        guard let arch = GGUFArchitecture(rawValue: name) else {
            throw GGUFError(.unsupportedArchitecture, file: metadata.file, key: "general.architecture",
                            "architecture '\(name)' is not supported; supported: \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return arch
    }

    /// Whether llama.cpp's converter permuted the rows of attn_q / attn_k
    /// (`LlamaModel.permute`, for the interleaved "normal" RoPE). Only `llama`.
    public var permutesQK: Bool { self == .llama }
}
