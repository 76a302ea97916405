/// The Hugging Face (transformers) name of a GGUF tensor.
///
/// Mapping for the supported architectures (N = layer, e = expert, suffix
/// `.weight`/`.bias` kept):
///
/// | GGUF | HF |
/// |---|---|
/// | `token_embd` | `model.embed_tokens` |
/// | `output_norm` | `model.norm` |
/// | `output` | `lm_head` (absent → tied to `token_embd`) |
/// | `blk.N.attn_norm` | `model.layers.N.input_layernorm` |
/// | `blk.N.attn_q` / `attn_k` / `attn_v` / `attn_output` | `…self_attn.{q,k,v,o}_proj` (llama: Q/K rows permuted, see `GGUFQKPermutation`) |
/// | `blk.N.attn_q_norm` / `attn_k_norm` | `…self_attn.{q,k}_norm` |
/// | `blk.N.ffn_norm`, `blk.N.post_attention_norm` | `…post_attention_layernorm` |
/// | `blk.N.ffn_gate` / `ffn_up` / `ffn_down` | `…mlp.{gate,up,down}_proj` |
/// | `blk.N.ffn_gate_inp` (router) | `…mlp.gate`; llama/Mixtral `…block_sparse_moe.gate`; gpt-oss `…mlp.router` |
/// | `blk.N.ffn_{gate,up,down}_exps` [E, out, in] | `…mlp.experts.e.{gate,up,down}_proj`; Mixtral `…block_sparse_moe.experts.e.{w1,w3,w2}` |
/// | gpt-oss `blk.N.ffn_{gate,up,down}_exps.bias` [E, out] | `…mlp.experts.e.{gate,up,down}_proj.bias` (transformers fuses gate and up, interleaved) |
/// | `blk.N.ffn_{gate,up,down}.e` (old unstacked Mixtral) | as above, expert e |
/// | `blk.N.ffn_{gate,up,down}_shexp` | qwen2moe `…mlp.shared_expert.*_proj`; deepseek2/glm4moe `…mlp.shared_experts.*_proj` |
/// | `blk.N.ffn_gate_inp_shexp` | `…mlp.shared_expert_gate` (qwen2moe) |
/// | `blk.N.exp_probs_b.bias` | `…mlp.gate.e_score_correction_bias` (deepseek2, glm4moe) |
/// | deepseek2 `attn_q_a`, `attn_q_a_norm`, `attn_q_b`, `attn_kv_a_mqa`, `attn_kv_a_norm`, `attn_kv_b` | `…self_attn.{q_a_proj, q_a_layernorm, q_b_proj, kv_a_proj_with_mqa, kv_a_layernorm, kv_b_proj}` |
/// | gpt-oss `attn_sinks` | `…self_attn.sinks` |
///
/// Not mapped (returns nil): deepseek2 `attn_k_b`/`attn_v_b` (split from kv_b_proj by
/// newer converters; `Checkpoint.ggufEntries` rebuilds `kv_b_proj` from them), glm4moe
/// NextN/MTP tensors, `rope_freqs`.
public struct GGUFHFTensorName: Sendable, Equatable {
    public enum QKKind: Sendable, Equatable { case query, key }

    /// Layer index for `blk.N.*` tensors.
    public var layer: Int?
    /// HF name; for stacked expert tensors it contains the placeholder `{e}`.
    public var template: String
    /// True for `*_exps` tensors: slice `e` of the [E, out, in] tensor is HF expert `e`.
    public var isStackedExperts: Bool
    /// Expert index for old-style per-expert GGUF tensors (`blk.N.ffn_gate.3.weight`).
    public var expert: Int?
    /// Set for llama-arch attn_q / attn_k tensors whose rows must be un-permuted.
    public var permutedQK: QKKind?

    /// The HF name, substituting `expert` for stacked expert tensors.
    public func hfName(expert e: Int? = nil) -> String {
        guard isStackedExperts else { return template }
        return template.replacingPlaceholder(with: e.map(String.init) ?? "{e}")
    }

    /// Maps a GGUF tensor name for `architecture`; nil if it has no HF counterpart.
    public static func map(_ ggufName: String, architecture arch: GGUFArchitecture) -> GGUFHFTensorName? {
        var parts = ggufName.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let suffix = parts.last, suffix == "weight" || suffix == "bias" else { return nil }
        parts.removeLast()
        let top = ["token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"]
        if parts.count == 1, let hf = top[parts[0]] {
            return GGUFHFTensorName(template: "\(hf).\(suffix)", isStackedExperts: false)
        }
        guard parts.count >= 3, parts[0] == "blk", let layer = Int(parts[1]) else { return nil }
        let prefix = "model.layers.\(layer)."
        let local = parts[2]
        var expert: Int?
        if parts.count == 4 {
            guard let e = Int(parts[3]), ["ffn_gate", "ffn_up", "ffn_down"].contains(local) else { return nil }
            expert = e
        } else if parts.count != 3 {
            return nil
        }
        let mixtral = arch == .llama
        let sharedPrefix = arch == .qwen2moe ? "mlp.shared_expert." : "mlp.shared_experts."
        let expertNames: [String: String] = mixtral
            ? ["gate": "block_sparse_moe.experts.{e}.w1", "up": "block_sparse_moe.experts.{e}.w3", "down": "block_sparse_moe.experts.{e}.w2"]
            : ["gate": "mlp.experts.{e}.gate_proj", "up": "mlp.experts.{e}.up_proj", "down": "mlp.experts.{e}.down_proj"]

        var hf: String?
        var stacked = false
        var qk: QKKind?
        switch local {
        case "attn_norm": hf = "input_layernorm"
        case "attn_q": hf = "self_attn.q_proj"; qk = arch.permutesQK ? .query : nil
        case "attn_k": hf = "self_attn.k_proj"; qk = arch.permutesQK ? .key : nil
        case "attn_v": hf = "self_attn.v_proj"
        case "attn_output": hf = "self_attn.o_proj"
        case "attn_q_norm": hf = "self_attn.q_norm"
        case "attn_k_norm": hf = "self_attn.k_norm"
        case "ffn_norm", "post_attention_norm": hf = "post_attention_layernorm"
        case "ffn_gate", "ffn_up", "ffn_down":
            let which = String(local.dropFirst(4))
            if let e = expert {
                guard let t = expertNames[which] else { return nil }
                hf = t.replacingPlaceholder(with: String(e))
            } else {
                hf = "mlp.\(which)_proj"
            }
        case "ffn_gate_inp":
            hf = mixtral ? "block_sparse_moe.gate" : (arch == .gptOSS ? "mlp.router" : "mlp.gate")
        case "ffn_gate_exps", "ffn_up_exps", "ffn_down_exps":
            hf = expertNames[String(local.dropFirst(4).dropLast(5))]
            stacked = true
        case "ffn_gate_shexp", "ffn_up_shexp", "ffn_down_shexp":
            hf = sharedPrefix + String(local.dropFirst(4).dropLast(6)) + "_proj"
        case "ffn_gate_inp_shexp": hf = "mlp.shared_expert_gate"
        case "exp_probs_b":
            return GGUFHFTensorName(layer: layer, template: prefix + "mlp.gate.e_score_correction_bias", isStackedExperts: false)
        case "attn_sinks":
            return GGUFHFTensorName(layer: layer, template: prefix + "self_attn.sinks", isStackedExperts: false)
        case "attn_q_a": hf = "self_attn.q_a_proj"
        case "attn_q_a_norm": hf = "self_attn.q_a_layernorm"
        case "attn_q_b": hf = "self_attn.q_b_proj"
        case "attn_kv_a_mqa": hf = "self_attn.kv_a_proj_with_mqa"
        case "attn_kv_a_norm": hf = "self_attn.kv_a_layernorm"
        case "attn_kv_b": hf = "self_attn.kv_b_proj"
        default: return nil
        }
        guard let hf else { return nil }
        return GGUFHFTensorName(layer: layer, template: prefix + hf + "." + suffix, isStackedExperts: stacked,
                                expert: expert, permutedQK: qk)
    }

    public init(layer: Int? = nil, template: String, isStackedExperts: Bool, expert: Int? = nil, permutedQK: QKKind? = nil) {
        self.layer = layer
        self.template = template
        self.isStackedExperts = isStackedExperts
        self.expert = expert
        self.permutedQK = permutedQK
    }
}

extension String {
    func replacingPlaceholder(with value: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: "{e}") {
            out += rest[..<r.lowerBound] + value
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
