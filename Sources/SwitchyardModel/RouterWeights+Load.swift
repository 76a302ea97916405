import SwitchyardTensor

extension RouterWeights {
    /// Loads everything but the experts from `checkpoint` by transformers' tensor names: vectors and
    /// the embedding table as f32 copies, projections and the head converted straight into packed
    /// weights.
    ///
    /// Names come from `WeightNames` (the checkpoint resolves Mixtral's `block_sparse_moe.` / `mlp.`
    /// spellings). Errors name the missing or mis-shaped tensor.
    public static func load(_ checkpoint: Checkpoint, config: ModelConfig) throws -> RouterWeights {
        let h = config.hiddenSize
        func vector(_ name: String, _ count: Int) throws -> Matrix {
            guard checkpoint.has(name) else { throw EngineError.missingWeight(name) }
            return Matrix(rows: 1, cols: count, values: try checkpoint.vector(name, count: count))
        }
        func matrix(_ name: String, _ rows: Int, _ cols: Int) throws -> Matrix {
            guard checkpoint.has(name) else { throw EngineError.missingWeight(name) }
            return try checkpoint.matrix(name, shape: [rows, cols])
        }
        /// `parts` (name, rows) of `cols` columns each, stacked and packed.
        func packed(_ parts: [(String, Int)], cols: Int) throws -> PackedWeight {
            try checkpoint.packedWeight(parts.map { name, rows in
                guard checkpoint.has(name) else { throw EngineError.missingWeight(name) }
                return try checkpoint.rows(of: name, shape: [rows, cols])
            })
        }
        func optionalVector(_ name: String, _ count: Int) throws -> Matrix? {
            checkpoint.has(name) ? try vector(name, count) : nil
        }

        let embed = try matrix("model.embed_tokens.weight", config.vocabSize, h)
        var layers: [Layer] = []
        for l in 0..<config.numLayers {
            let p = "model.layers.\(l)."
            let a = p + "self_attn."
            var qNorm: Matrix?
            var kNorm: Matrix?
            switch config.qkNorm {
            case .none: break
            case .perHead:
                qNorm = try vector(a + "q_norm.weight", config.headDim)
                kNorm = try vector(a + "k_norm.weight", config.headDim)
            case .full:
                qNorm = try vector(a + "q_norm.weight", config.qDim)
                kNorm = try vector(a + "k_norm.weight", config.kvDim)
            }
            var gate: PackedWeight?
            var sharedGate: PackedWeight?
            var correction: Matrix?
            if config.isSparse(layer: l) {
                gate = try packed([(WeightNames.routerGate(config.family, layer: l), config.numExperts)], cols: h)
                if config.scoreCorrectionBias {
                    correction = try vector(WeightNames.scoreCorrectionBias(layer: l), config.numExperts)
                }
                if config.hasSharedExpert && config.sharedExpertGated {
                    sharedGate = try packed([(WeightNames.sharedExpertGate(layer: l), 1)], cols: h)
                }
            }
            var qkvBias: Matrix?
            if config.attentionBias {
                let values = try vector(a + "q_proj.bias", config.qDim).toArray() + vector(a + "k_proj.bias", config.kvDim).toArray()
                    + vector(a + "v_proj.bias", config.kvDim).toArray()
                qkvBias = Matrix(rows: 1, cols: values.count, values: values)
            }
            layers.append(try Layer(
                config: config, layer: l,
                inputNorm: try vector(p + "input_layernorm.weight", h),
                qkv: try packed([(a + "q_proj.weight", config.qDim), (a + "k_proj.weight", config.kvDim),
                                 (a + "v_proj.weight", config.kvDim)], cols: h),
                qkvBias: qkvBias,
                o: try packed([(a + "o_proj.weight", h)], cols: config.qDim),
                oBias: config.outputBias ? try vector(a + "o_proj.bias", h) : try optionalVector(a + "o_proj.bias", h),
                qNorm: qNorm, kNorm: kNorm,
                postNorm: try vector(p + "post_attention_layernorm.weight", h),
                gate: gate, sharedGate: sharedGate, scoreCorrectionBias: correction
            ))
        }
        let finalNorm = try vector("model.norm.weight", h)
        let head: PackedWeight
        if config.tieWordEmbeddings || !checkpoint.has("lm_head.weight") {
            guard config.tieWordEmbeddings else { throw EngineError.missingWeight("lm_head.weight") }
            head = PackedWeight(embed)
        } else {
            head = try packed([("lm_head.weight", config.vocabSize)], cols: h)
        }
        return try RouterWeights(config: config, embed: embed, layers: layers, finalNorm: finalNorm, head: head)
    }
}
