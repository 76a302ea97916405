/// Hugging Face tensor names of each family, as `save_pretrained` writes them and the Hub stores them.
///
/// Mixtral keeps its MoE block under `block_sparse_moe` with experts `w1` (gate), `w3` (up), `w2`
/// (down); qwen2_moe, qwen3_moe and olmoe use `mlp` with `gate_proj`/`up_proj`/`down_proj`.
/// transformers 5.x in-memory modules name Mixtral's block `mlp` and fuse experts into
/// `experts.gate_up_proj [E, 2I, H]` / `experts.down_proj [E, H, I]`; `Checkpoint` accepts both.
public enum WeightNames {
    /// One of the three SwiGLU projections of an FFN: `down(silu(gate(x)) * up(x))`.
    public enum Projection: String, Sendable, CaseIterable {
        case gate, up, down
    }

    public static let embedTokens = "model.embed_tokens.weight"
    public static let finalNorm = "model.norm.weight"
    public static let lmHead = "lm_head.weight"

    /// The output-head weight to use: `lm_head.weight`, or the embeddings when they are tied.
    public static func outputHead(_ config: ModelConfig) -> String {
        config.tieWordEmbeddings ? embedTokens : lmHead
    }

    static func layer(_ layer: Int) -> String { "model.layers.\(layer)" }

    public static func inputNorm(layer: Int) -> String { "\(Self.layer(layer)).input_layernorm.weight" }
    public static func postAttentionNorm(layer: Int) -> String { "\(Self.layer(layer)).post_attention_layernorm.weight" }

    public static func qProj(layer: Int) -> String { "\(Self.layer(layer)).self_attn.q_proj.weight" }
    public static func kProj(layer: Int) -> String { "\(Self.layer(layer)).self_attn.k_proj.weight" }
    public static func vProj(layer: Int) -> String { "\(Self.layer(layer)).self_attn.v_proj.weight" }
    public static func oProj(layer: Int) -> String { "\(Self.layer(layer)).self_attn.o_proj.weight" }
    public static func qBias(layer: Int) -> String { "\(Self.layer(layer)).self_attn.q_proj.bias" }
    public static func kBias(layer: Int) -> String { "\(Self.layer(layer)).self_attn.k_proj.bias" }
    public static func vBias(layer: Int) -> String { "\(Self.layer(layer)).self_attn.v_proj.bias" }
    public static func oBias(layer: Int) -> String { "\(Self.layer(layer)).self_attn.o_proj.bias" }
    /// qwen3_moe: `[headDim]`; olmoe: `[numHeads * headDim]`.
    public static func qNorm(layer: Int) -> String { "\(Self.layer(layer)).self_attn.q_norm.weight" }
    /// qwen3_moe: `[headDim]`; olmoe: `[numKVHeads * headDim]`.
    public static func kNorm(layer: Int) -> String { "\(Self.layer(layer)).self_attn.k_norm.weight" }

    /// The MoE block prefix: the family's `moeBlockName` (`block_sparse_moe` for mixtral, `mlp` otherwise).
    public static func moeBlock(_ family: ModelFamily, layer: Int) -> String {
        "\(Self.layer(layer)).\(family.definition.moeBlockName)"
    }

    /// The router (top-k gate) weight `[numExperts, hidden]` of a sparse layer (`gate`, gpt_oss `router`).
    public static func routerGate(_ family: ModelFamily, layer: Int) -> String {
        "\(moeBlock(family, layer: layer)).\(family.definition.routerModuleName).weight"
    }

    /// The router's bias `[numExperts]` of a sparse layer (gpt_oss).
    public static func routerBias(_ family: ModelFamily, layer: Int) -> String {
        "\(moeBlock(family, layer: layer)).\(family.definition.routerModuleName).bias"
    }

    /// The attention sink logits `[numHeads]` of a layer (gpt_oss).
    public static func sinks(layer: Int) -> String { "\(Self.layer(layer)).self_attn.sinks" }

    /// The sigmoid router's `e_score_correction_bias` `[numExperts]` (deepseek_v3, glm4_moe).
    public static func scoreCorrectionBias(layer: Int) -> String { "\(Self.layer(layer)).mlp.gate.e_score_correction_bias" }

    /// The shared expert's module: `shared_expert` (qwen2_moe) or `shared_experts` (deepseek, glm4_moe).
    public static func sharedExpertModule(_ family: ModelFamily) -> String {
        family == .qwen2_moe ? "shared_expert" : "shared_experts"
    }

    /// qwen2_moe's shared-expert gate `[1, hidden]` (router side: weight = sigmoid(gate · x)).
    public static func sharedExpertGate(layer: Int) -> String { "\(Self.layer(layer)).mlp.shared_expert_gate.weight" }

    /// The per-expert name of one projection of FFN expert `expert` of `layer`: a routed expert,
    /// the shared expert (id `numExperts`) or the dense MLP of a non-sparse layer (id 0).
    public static func expertProjection(_ config: ModelConfig, layer: Int, expert: Int, _ projection: Projection) -> String {
        guard config.isSparse(layer: layer) else {
            return "\(Self.layer(layer)).mlp.\(projection.rawValue)_proj.weight"
        }
        if expert == config.numExperts && config.hasSharedExpert {
            return "\(Self.layer(layer)).mlp.\(sharedExpertModule(config.family)).\(projection.rawValue)_proj.weight"
        }
        return config.family.definition.routedExpertName(block: moeBlock(config.family, layer: layer), expert: expert, projection)
    }

    /// The fused `[E, 2I, H]` gate-and-up tensor of a sparse layer (transformers 5.x layout).
    public static func fusedGateUp(layer: Int) -> String { "\(Self.layer(layer)).mlp.experts.gate_up_proj" }
    /// The fused `[E, H, I]` down tensor of a sparse layer (transformers 5.x layout).
    public static func fusedDown(layer: Int) -> String { "\(Self.layer(layer)).mlp.experts.down_proj" }

    /// Other spellings of `name` a checkpoint may use (Mixtral's `mlp.` vs `block_sparse_moe.`).
    static func aliases(of name: String) -> [String] {
        if name.contains(".block_sparse_moe.") {
            return [name.replacingOccurrences(of: ".block_sparse_moe.", with: ".mlp.")]
        }
        if name.contains(".mlp.experts.") || name.hasSuffix(".mlp.gate.weight") {
            return [name.replacingOccurrences(of: ".mlp.", with: ".block_sparse_moe.")]
        }
        return []
    }
}
