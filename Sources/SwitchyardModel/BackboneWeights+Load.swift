import SwitchyardTensor

extension BackboneWeights {
    /// Loads everything but the experts from `checkpoint` by transformers' tensor names: vectors as
    /// f32 copies, the embedding table as f32 or as stored (`embeddingTable`), projections and the
    /// head converted straight into the formats `checkpoint.dtypes` asks for (packed f32 or blocks).
    ///
    /// Names come from `WeightNames` (the checkpoint resolves Mixtral's `block_sparse_moe.` / `mlp.`
    /// spellings). Errors name the missing or mis-shaped tensor.
    public static func load(_ checkpoint: Checkpoint, config: ModelConfig) throws -> BackboneWeights {
        let h = config.hiddenSize
        func vector(_ name: String, _ count: Int) throws -> Matrix {
            guard checkpoint.has(name) else { throw EngineError.missingWeight(name) }
            return Matrix(rows: 1, cols: count, values: try checkpoint.vector(name, count: count))
        }
        func matrix(_ name: String, _ rows: Int, _ cols: Int) throws -> Matrix {
            guard checkpoint.has(name) else { throw EngineError.missingWeight(name) }
            return try checkpoint.matrix(name, shape: [rows, cols])
        }
        /// `parts` (name, rows) of `cols` columns each, stacked, in the format `dtype` resolves to.
        func packed(_ parts: [(String, Int)], cols: Int, dtype: WeightDType = checkpoint.dtypes.dense) throws -> any LinearWeight {
            try checkpoint.linearWeight(parts.map { name, rows in
                guard checkpoint.has(name) else { throw EngineError.missingWeight(name) }
                return try checkpoint.rows(of: name, shape: [rows, cols])
            }, dtype: dtype)
        }
        func optionalVector(_ name: String, _ count: Int) throws -> Matrix? {
            checkpoint.has(name) ? try vector(name, count) : nil
        }

        typealias Projections = (qkv: any LinearWeight, bias: Matrix?, latent: LatentWeights?)
        /// `[q | k | v]` and their biases.
        func groupedQueryProjections(_ a: String) throws -> Projections {
            var bias: Matrix?
            if config.attentionBias {
                let values = try vector(a + "q_proj.bias", config.qDim).toArray() + vector(a + "k_proj.bias", config.kvDim).toArray()
                    + vector(a + "v_proj.bias", config.kvDim).toArray()
                bias = Matrix(rows: 1, cols: values.count, values: values)
            }
            let qkv = try packed([(a + "q_proj.weight", config.qDim), (a + "k_proj.weight", config.kvDim),
                                  (a + "v_proj.weight", config.kvDim)], cols: h)
            return (qkv, bias, nil)
        }
        /// MLA: `[q_proj or q_a_proj | kv_a_proj_with_mqa]`, their biases (q_proj has none) and the rest.
        func latentProjections(_ a: String, layer: Int) throws -> Projections {
            let mla = config.latentAttention!
            let qName = mla.qLoraRank == nil ? a + "q_proj" : a + "q_a_proj"
            let qRows = mla.qLoraRank ?? config.numHeads * mla.queryHeadDim
            let qkv = try packed([(qName + ".weight", qRows), (a + "kv_a_proj_with_mqa.weight", mla.cachedWidth)], cols: h)
            var bias: Matrix?
            if config.attentionBias {
                let qBias = mla.qLoraRank == nil ? [Float](repeating: 0, count: qRows) : try vector(qName + ".bias", qRows).toArray()
                let values = qBias + (try vector(a + "kv_a_proj_with_mqa.bias", mla.cachedWidth).toArray())
                bias = Matrix(rows: 1, cols: values.count, values: values)
            }
            var qANorm: Matrix?
            var qB: (any LinearWeight)?
            if let rank = mla.qLoraRank {
                qANorm = try vector(a + "q_a_layernorm.weight", rank)
                qB = try packed([(a + "q_b_proj.weight", config.numHeads * mla.queryHeadDim)], cols: rank)
            }
            let latent = try LatentWeights(
                config: config, layer: layer, qANorm: qANorm, qB: qB,
                kvANorm: try vector(a + "kv_a_layernorm.weight", mla.kvLoraRank),
                kvB: try matrix(a + "kv_b_proj.weight", config.numHeads * (mla.nopeHeadDim + mla.valueHeadDim), mla.kvLoraRank))
            return (qkv, bias, latent)
        }

        let embed = try embeddingTable(checkpoint, config: config)
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
            var gate: (any LinearWeight)?
            var sharedGate: (any LinearWeight)?
            var correction: Matrix?
            var gateBias: Matrix?
            if config.isSparse(layer: l) {
                if config.routerBias {
                    gateBias = try vector(WeightNames.routerBias(config.family, layer: l), config.numExperts)
                }
                gate = try packed([(WeightNames.routerGate(config.family, layer: l), config.numExperts)], cols: h,
                                  dtype: checkpoint.dtypes.gates)
                if config.scoreCorrectionBias {
                    correction = try vector(WeightNames.scoreCorrectionBias(layer: l), config.numExperts)
                }
                if config.hasSharedExpert && config.sharedExpertGated {
                    sharedGate = try packed([(WeightNames.sharedExpertGate(layer: l), 1)], cols: h, dtype: checkpoint.dtypes.gates)
                }
            }
            let attention = try config.latentAttention == nil
                ? groupedQueryProjections(a) : latentProjections(a, layer: l)
            layers.append(try Layer(
                config: config, layer: l,
                inputNorm: try vector(p + "input_layernorm.weight", h),
                qkv: attention.qkv, qkvBias: attention.bias,
                o: try packed([(a + "o_proj.weight", h)], cols: config.attentionOutputWidth),
                oBias: config.outputBias ? try vector(a + "o_proj.bias", h) : try optionalVector(a + "o_proj.bias", h),
                qNorm: qNorm, kNorm: kNorm,
                postNorm: try vector(p + "post_attention_layernorm.weight", h),
                gate: gate, sharedGate: sharedGate, scoreCorrectionBias: correction, latent: attention.latent,
                gateBias: gateBias, sinks: config.attentionSinks ? try vector(a + "sinks", config.numHeads) : nil
            ))
        }
        let finalNorm = try vector("model.norm.weight", h)
        let head: any LinearWeight
        if config.tieWordEmbeddings || !checkpoint.has("lm_head.weight") {
            guard config.tieWordEmbeddings else { throw EngineError.missingWeight("lm_head.weight") }
            if case let .compact(table) = embed {
                head = table
            } else {
                head = try checkpoint.linearWeight([try checkpoint.rows(of: "model.embed_tokens.weight", shape: [config.vocabSize, h])],
                                                   dtype: checkpoint.dtypes.dense)
            }
        } else {
            head = try packed([("lm_head.weight", config.vocabSize)], cols: h)
        }
        return try BackboneWeights(config: config, embed: embed, layers: layers, finalNorm: finalNorm, head: head)
    }

    /// The token embeddings: kept as the checkpoint stores them when that is compact and the dense
    /// weights are `auto` (a GGUF file's blocks, bf16; expanded a row at a time on lookup, exactly),
    /// f32 otherwise.
    static func embeddingTable(_ checkpoint: Checkpoint, config: ModelConfig) throws -> EmbeddingTable {
        let name = "model.embed_tokens.weight"
        guard checkpoint.has(name) else { throw EngineError.missingWeight(name) }
        let rows = try checkpoint.rows(of: name, shape: [config.vocabSize, config.hiddenSize])
        if checkpoint.dtypes.dense == .auto, checkpoint.storedFormat(of: name) != .f32,
           let compact = try checkpoint.linearWeight([rows], dtype: .auto) as? BlockWeight {
            return .compact(compact)
        }
        return .f32(try checkpoint.matrix(rows))
    }
}
