extension ModelConfig {
    /// The shape of multi-head latent attention (MLA, deepseek_v2 / deepseek_v3).
    ///
    /// Keys and values come from one compressed latent per token: `kv_a_proj_with_mqa` gives
    /// `kvLoraRank` latent values (RMS-normalised by `kv_a_layernorm`) plus a `ropeHeadDim` RoPE key
    /// shared by every head; `kv_b_proj` expands the latent into each head's `nopeHeadDim` key part
    /// and `valueHeadDim` value. The cache keeps only the latent and the RoPE key.
    public struct LatentAttentionShape: Sendable, Equatable {
        /// The rank of the q LoRA (`q_a_proj` → `q_a_layernorm` → `q_b_proj`); nil for a plain `q_proj`.
        public var qLoraRank: Int?
        public var kvLoraRank: Int
        public var nopeHeadDim: Int
        public var ropeHeadDim: Int
        public var valueHeadDim: Int

        public init(qLoraRank: Int?, kvLoraRank: Int, nopeHeadDim: Int, ropeHeadDim: Int, valueHeadDim: Int) {
            self.qLoraRank = qLoraRank
            self.kvLoraRank = kvLoraRank
            self.nopeHeadDim = nopeHeadDim
            self.ropeHeadDim = ropeHeadDim
            self.valueHeadDim = valueHeadDim
        }

        /// A query head's width: its no-RoPE part then its RoPE part.
        public var queryHeadDim: Int { nopeHeadDim + ropeHeadDim }
        /// Values cached per token and layer: the latent then the RoPE key.
        public var cachedWidth: Int { kvLoraRank + ropeHeadDim }
    }

    /// Width of the fused first attention projection: `[q | k | v]`, or for MLA
    /// `[q (or q_a) | kv_a latent | kv_a RoPE key]`.
    public var attentionInputWidth: Int {
        guard let mla = latentAttention else { return qDim + 2 * kvDim }
        return (mla.qLoraRank ?? numHeads * mla.queryHeadDim) + mla.cachedWidth
    }

    /// Width of the attention output the o projection reads (`numHeads * v head dim`).
    public var attentionOutputWidth: Int {
        guard let mla = latentAttention else { return qDim }
        return numHeads * mla.valueHeadDim
    }

    /// The softmax scale of attention scores: `1/sqrt(q·k width)` times `attentionScaleFactor`
    /// (YaRN's `mscale_all_dim` correction for MLA).
    public var attentionScale: Float {
        let width = latentAttention?.queryHeadDim ?? headDim
        return attentionScaleFactor / Float(width).squareRoot()
    }
}

extension ModelConfig {
    /// The MLA shape of a deepseek config (`q_lora_rank` null means a plain `q_proj`), nil for
    /// families without latent attention.
    static func parseLatentAttention(_ json: ConfigReader, definition: any ModelFamilyDefinition) throws -> LatentAttentionShape? {
        guard definition.latentAttention else { return nil }
        let qLora: Int? = json.object["q_lora_rank"] == .null ? nil : try json.int("q_lora_rank") ?? 1536
        let shape = LatentAttentionShape(
            qLoraRank: qLora,
            kvLoraRank: try json.positiveInt("kv_lora_rank", default: 512),
            nopeHeadDim: try json.positiveInt("qk_nope_head_dim", default: 128),
            ropeHeadDim: try json.positiveInt("qk_rope_head_dim", default: 64),
            valueHeadDim: try json.positiveInt("v_head_dim", default: 128))
        if let rank = shape.qLoraRank, rank <= 0 {
            throw ModelError.invalidConfigValue(path: json.path, key: "q_lora_rank", reason: "must be positive or null, got \(rank)")
        }
        guard shape.ropeHeadDim % 2 == 0 else {
            throw ModelError.invalidConfigValue(path: json.path, key: "qk_rope_head_dim", reason: "must be even (RoPE rotates pairs), got \(shape.ropeHeadDim)")
        }
        return shape
    }
}
