/// A tensor a checkpoint of some config must hold: its name and shape.
public struct TensorSpec: Sendable, Equatable {
    public var name: String
    public var shape: [Int]

    public init(name: String, shape: [Int]) {
        self.name = name
        self.shape = shape
    }

    public var elementCount: Int { shape.reduce(1, *) }
}

extension WeightNames {
    /// Every router-side tensor (attention, norms, gates, embeddings, head) of `config`, with shapes.
    public static func nonExpertTensors(_ config: ModelConfig) -> [TensorSpec] {
        let hidden = config.hiddenSize
        var specs = [TensorSpec(name: embedTokens, shape: [config.vocabSize, hidden])]
        for layer in 0..<config.numLayers {
            specs.append(TensorSpec(name: inputNorm(layer: layer), shape: [hidden]))
            if config.latentAttention != nil {
                specs.append(contentsOf: latentAttentionTensors(config, layer: layer))
            } else {
                specs.append(contentsOf: groupedQueryAttentionTensors(config, layer: layer))
            }
            if config.attentionSinks {
                specs.append(TensorSpec(name: sinks(layer: layer), shape: [config.numHeads]))
            }
            specs.append(TensorSpec(name: postAttentionNorm(layer: layer), shape: [hidden]))
            if config.isSparse(layer: layer) {
                specs.append(TensorSpec(name: routerGate(config.family, layer: layer), shape: [config.numExperts, hidden]))
                if config.routerBias {
                    specs.append(TensorSpec(name: routerBias(config.family, layer: layer), shape: [config.numExperts]))
                }
                if config.scoreCorrectionBias {
                    specs.append(TensorSpec(name: scoreCorrectionBias(layer: layer), shape: [config.numExperts]))
                }
                if config.hasSharedExpert && config.sharedExpertGated {
                    specs.append(TensorSpec(name: sharedExpertGate(layer: layer), shape: [1, hidden]))
                }
            }
        }
        specs.append(TensorSpec(name: finalNorm, shape: [hidden]))
        if !config.tieWordEmbeddings {
            specs.append(TensorSpec(name: lmHead, shape: [config.vocabSize, hidden]))
        }
        return specs
    }

    /// q, k, v, o (with their biases) and q/k norms of one grouped-query attention layer.
    static func groupedQueryAttentionTensors(_ config: ModelConfig, layer: Int) -> [TensorSpec] {
        let hidden = config.hiddenSize
        var specs: [TensorSpec] = []
        specs.append(TensorSpec(name: qProj(layer: layer), shape: [config.qDim, hidden]))
        specs.append(TensorSpec(name: kProj(layer: layer), shape: [config.kvDim, hidden]))
        specs.append(TensorSpec(name: vProj(layer: layer), shape: [config.kvDim, hidden]))
        specs.append(TensorSpec(name: oProj(layer: layer), shape: [hidden, config.qDim]))
        if config.attentionBias {
            specs.append(TensorSpec(name: qBias(layer: layer), shape: [config.qDim]))
            specs.append(TensorSpec(name: kBias(layer: layer), shape: [config.kvDim]))
            specs.append(TensorSpec(name: vBias(layer: layer), shape: [config.kvDim]))
        }
        if config.outputBias {
            specs.append(TensorSpec(name: oBias(layer: layer), shape: [hidden]))
        }
        switch config.qkNorm {
        case .none: break
        case .perHead:
            specs.append(TensorSpec(name: qNorm(layer: layer), shape: [config.headDim]))
            specs.append(TensorSpec(name: kNorm(layer: layer), shape: [config.headDim]))
        case .full:
            specs.append(TensorSpec(name: qNorm(layer: layer), shape: [config.qDim]))
            specs.append(TensorSpec(name: kNorm(layer: layer), shape: [config.kvDim]))
        }
        return specs
    }

    /// The MLA tensors of one layer (transformers' `DeepseekV3Attention` names).
    static func latentAttentionTensors(_ config: ModelConfig, layer: Int) -> [TensorSpec] {
        guard let mla = config.latentAttention else { return [] }
        let hidden = config.hiddenSize
        let a = "\(Self.layer(layer)).self_attn."
        let queryWidth = config.numHeads * mla.queryHeadDim
        var specs: [TensorSpec] = []
        if let rank = mla.qLoraRank {
            specs.append(TensorSpec(name: a + "q_a_proj.weight", shape: [rank, hidden]))
            if config.attentionBias { specs.append(TensorSpec(name: a + "q_a_proj.bias", shape: [rank])) }
            specs.append(TensorSpec(name: a + "q_a_layernorm.weight", shape: [rank]))
            specs.append(TensorSpec(name: a + "q_b_proj.weight", shape: [queryWidth, rank]))
        } else {
            specs.append(TensorSpec(name: a + "q_proj.weight", shape: [queryWidth, hidden]))
        }
        specs.append(TensorSpec(name: a + "kv_a_proj_with_mqa.weight", shape: [mla.cachedWidth, hidden]))
        if config.attentionBias { specs.append(TensorSpec(name: a + "kv_a_proj_with_mqa.bias", shape: [mla.cachedWidth])) }
        specs.append(TensorSpec(name: a + "kv_a_layernorm.weight", shape: [mla.kvLoraRank]))
        specs.append(TensorSpec(name: a + "kv_b_proj.weight", shape: [config.numHeads * (mla.nopeHeadDim + mla.valueHeadDim), mla.kvLoraRank]))
        specs.append(TensorSpec(name: oProj(layer: layer), shape: [hidden, config.attentionOutputWidth]))
        if config.outputBias { specs.append(TensorSpec(name: oBias(layer: layer), shape: [hidden])) }
        return specs
    }

    /// The three per-expert tensors (gate `[I, H]`, up `[I, H]`, down `[H, I]`) of one FFN expert.
    public static func expertTensors(_ config: ModelConfig, layer: Int, expert: Int) -> [TensorSpec] {
        let hidden = config.hiddenSize
        let inner = config.expertIntermediateSize(layer: layer, expert: expert)
        return Projection.allCases.map { projection in
            TensorSpec(name: expertProjection(config, layer: layer, expert: expert, projection),
                       shape: projection == .down ? [hidden, inner] : [inner, hidden])
        }
    }

    /// gpt_oss's fused expert tensors of a sparse layer, in transformers' layout: `gate_up_proj`
    /// `[E, H, 2I]` (gate and up in alternating columns), its bias `[E, 2I]`, `down_proj` `[E, I, H]`
    /// and its bias `[E, H]`.
    public static func interleavedExpertTensors(_ config: ModelConfig, layer: Int) -> [TensorSpec] {
        let (e, h, i) = (config.numExperts, config.hiddenSize, config.moeIntermediateSize)
        return [
            TensorSpec(name: fusedGateUp(layer: layer), shape: [e, h, 2 * i]),
            TensorSpec(name: fusedGateUp(layer: layer) + "_bias", shape: [e, 2 * i]),
            TensorSpec(name: fusedDown(layer: layer), shape: [e, i, h]),
            TensorSpec(name: fusedDown(layer: layer) + "_bias", shape: [e, h]),
        ]
    }

    /// The MXFP4 form of gpt_oss's fused expert weights of a sparse layer, as real gpt-oss checkpoints
    /// store them (U8): `gate_up_proj_blocks` `[E, 2I, H/32, 16]`, `gate_up_proj_scales`
    /// `[E, 2I, H/32]`, `down_proj_blocks` `[E, H, I/32, 16]`, `down_proj_scales` `[E, H, I/32]`
    /// (the biases stay as in `interleavedExpertTensors`).
    public static func mxfp4ExpertTensors(_ config: ModelConfig, layer: Int) -> [TensorSpec] {
        let (e, h, i) = (config.numExperts, config.hiddenSize, config.moeIntermediateSize)
        return [
            TensorSpec(name: fusedGateUp(layer: layer) + "_blocks", shape: [e, 2 * i, h / 32, 16]),
            TensorSpec(name: fusedGateUp(layer: layer) + "_scales", shape: [e, 2 * i, h / 32]),
            TensorSpec(name: fusedDown(layer: layer) + "_blocks", shape: [e, h, i / 32, 16]),
            TensorSpec(name: fusedDown(layer: layer) + "_scales", shape: [e, h, i / 32]),
        ]
    }

    /// Every tensor of a checkpoint of `config` in the Hub (per-expert) layout, in model order
    /// (gpt_oss: its fused layout).
    public static func allTensors(_ config: ModelConfig) -> [TensorSpec] {
        let router = nonExpertTensors(config)
        var specs: [TensorSpec] = []
        var layerEnd = 0
        for layer in 0..<config.numLayers {
            let prefix = "\(Self.layer(layer))."
            while layerEnd < router.count, router[layerEnd].name == embedTokens || router[layerEnd].name.hasPrefix(prefix) {
                specs.append(router[layerEnd])
                layerEnd += 1
            }
            if config.family.definition.interleavedGateUpExperts && config.isSparse(layer: layer) {
                specs.append(contentsOf: interleavedExpertTensors(config, layer: layer))
                continue
            }
            for expert in 0..<config.ffnExperts(layer: layer) {
                specs.append(contentsOf: expertTensors(config, layer: layer, expert: expert))
            }
        }
        specs.append(contentsOf: router[layerEnd...])
        return specs
    }
}
