import SwitchyardTensor

/// Everything that makes a model family a family: one conforming type per family, each in its own
/// file under `Families/` (`Mixtral.swift`, `Qwen2Moe.swift`, ...), listed once in the registry
/// (`ModelFamily.definition`). The engine reads only `ModelConfig` fields and these answers.
///
/// How to add a family: write `Families/<Name>.swift` with a type conforming to this protocol, add a
/// case to `ModelFamily` and its line to `ModelFamily.definition` (and `ggufArchitectures` when
/// llama.cpp has an architecture for it). Requirements with a default below need overriding only
/// where the family differs.
package protocol ModelFamilyDefinition: Sendable {
    /// The `architectures` entry transformers writes for the causal-LM class (`MixtralForCausalLM`).
    var architecture: String { get }
    /// GGUF `general.architecture` values read as this family (empty when none).
    var ggufArchitectures: [String] { get }
    /// Whether a GGUF with these hyperparameters is this family (llama.cpp's `llama` architecture is
    /// dense Llama without experts and Mixtral with them; its `deepseek2` is DeepSeek-V3 with sigmoid
    /// gating and DeepSeek-V2 otherwise).
    func readsGGUF(_ info: GGUFModelInfo) -> Bool
    /// transformers' configuration-class defaults.
    var defaults: FamilyDefaults { get }
    /// Whether layers can be dense MLPs (`decoder_sparse_step`, `mlp_only_layers`,
    /// `moe_intermediate_size` read separately from `intermediate_size`).
    var hasDenseLayers: Bool { get }
    /// Whether a config may have no routed experts at all (a dense model: every layer's FFN is the
    /// always-selected expert 0).
    var allowsNoExperts: Bool { get }
    /// The default of `first_k_dense_replace` when the family's first layers are dense MLPs by that
    /// key (glm4_moe, deepseek), nil when the family has no such key.
    var firstDenseLayersDefault: Int? { get }
    /// Whether the family uses multi-head latent attention (`q_lora_rank`, `kv_lora_rank`,
    /// `qk_nope_head_dim`, `qk_rope_head_dim`, `v_head_dim`; head_dim is the RoPE part).
    var latentAttention: Bool { get }
    /// Whether the family's transformers code honours `rope_type: "yarn"`.
    var supportsYaRN: Bool { get }
    /// Whether the family's transformers code honours `partial_rotary_factor`.
    var supportsPartialRotary: Bool { get }
    /// The `partial_rotary_factor` transformers assumes when a config gives none.
    var defaultPartialRotaryFactor: Double { get }
    /// Whether the top-k routing weights are renormalised whatever `norm_topk_prob` says (mixtral).
    var alwaysRenormalisesTopK: Bool { get }

    /// The MoE block's module name inside a layer (`block_sparse_moe` for mixtral, `mlp` otherwise).
    var moeBlockName: String { get }
    /// The router's module name inside the MoE block (`gate`; gpt_oss `router`).
    var routerModuleName: String { get }
    /// Whether routed experts are stored as gpt_oss stores them: per layer, `experts.gate_up_proj`
    /// `[E, H, 2I]` with gate and up in alternating columns, `experts.down_proj` `[E, I, H]` and their
    /// biases, or the MXFP4 `*_blocks` / `*_scales` of the same projections in `[E, out, in]` order.
    var interleavedGateUpExperts: Bool { get }
    /// The per-expert tensor name of a routed expert's projection under `block`
    /// (`{block}.experts.{e}.gate_proj.weight`; mixtral `w1`/`w3`/`w2`).
    func routedExpertName(block: String, expert: Int, _ projection: WeightNames.Projection) -> String

    /// Reads the family's own keys of `config.json` into `config`, whose common fields (sizes,
    /// heads, experts, top-k, RoPE, norms, ids) are already parsed; validates family constraints.
    func parseQuirks(_ json: ConfigReader, into config: inout ModelConfig) throws
    /// Adjusts a config read from a GGUF file (common hyperparameters already mapped) with what
    /// llama.cpp's graph for this architecture implies (e.g. whether top-k weights are renormalised).
    func applyGGUF(_ metadata: GGUFMetadata, info: GGUFModelInfo, into config: inout ModelConfig) throws
    /// Adds the family's own keys to the `config.json` written for `config` (common keys are already in `fields`).
    func writeConfigKeys(_ config: ModelConfig, into fields: inout [String: JSONOut])
    /// Adjusts the generic `init-model` config of `preset` (already sized, MoE settings neutral) to this family.
    func applyPreset(_ preset: ModelPreset, to config: inout ModelConfig)
}

extension ModelFamilyDefinition {
    package var ggufArchitectures: [String] { [] }
    package func readsGGUF(_ info: GGUFModelInfo) -> Bool { ggufArchitectures.contains(info.architecture.rawValue) }
    package var hasDenseLayers: Bool { false }
    package func applyGGUF(_ metadata: GGUFMetadata, info: GGUFModelInfo, into config: inout ModelConfig) throws {}
    package var allowsNoExperts: Bool { hasDenseLayers }
    package var firstDenseLayersDefault: Int? { nil }
    package var latentAttention: Bool { false }
    package var supportsYaRN: Bool { false }
    package var supportsPartialRotary: Bool { false }
    package var defaultPartialRotaryFactor: Double { 1 }
    package var alwaysRenormalisesTopK: Bool { false }
    package var moeBlockName: String { "mlp" }
    package var routerModuleName: String { "gate" }
    package var interleavedGateUpExperts: Bool { false }

    package func routedExpertName(block: String, expert: Int, _ projection: WeightNames.Projection) -> String {
        "\(block).experts.\(expert).\(projection.rawValue)_proj.weight"
    }
}
