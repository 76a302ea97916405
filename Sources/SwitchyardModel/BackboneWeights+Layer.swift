import SwitchyardTensor

extension BackboneWeights {
    /// The router-side weights of one decoder layer. q, k and v are fused into one `[q | k | v]`
    /// projection at construction so a step runs one matmul for all three.
    public final class Layer: @unchecked Sendable {
        /// `1 x hidden`.
        public let inputNorm: Matrix
        /// `[qDim + 2 kvDim, hidden]`: rows of q, then k, then v.
        public let qkv: any LinearWeight
        /// `1 x (qDim + 2 kvDim)` when the family has q/k/v biases.
        public let qkvBias: Matrix?
        /// `[hidden, qDim]`.
        public let o: any LinearWeight
        /// `1 x hidden` when the o projection has a bias.
        public let oBias: Matrix?
        /// q and k norm weights: `1 x headDim` (per head) or `1 x qDim` / `1 x kvDim` (full).
        public let qNorm: Matrix?
        public let kNorm: Matrix?
        /// `1 x hidden`.
        public let postNorm: Matrix
        /// The router gate `[numExperts, hidden]` of a sparse layer.
        public let gate: (any LinearWeight)?
        /// The shared expert's gate `1 x hidden` (qwen2_moe sparse layers).
        public let sharedGate: (any LinearWeight)?
        /// Multi-head latent attention's own weights (deepseek); nil for grouped-query attention.
        public let latent: LatentWeights?
        /// `1 x numExperts` router `e_score_correction_bias` of a sparse layer when the config has one.
        public let scoreCorrectionBias: Matrix?
        /// `1 x numExperts` bias of the router linear of a sparse layer (gpt_oss `mlp.router.bias`).
        public let gateBias: Matrix?
        /// `1 x numHeads` attention sink logits (gpt_oss `self_attn.sinks`).
        public let sinks: Matrix?

        /// Checks every shape against `config` for `layer`, fuses q, k, v (and their biases) and packs
        /// the projections.
        public convenience init(
            config: ModelConfig, layer: Int,
            inputNorm: Matrix, q: Matrix, k: Matrix, v: Matrix,
            qBias: Matrix? = nil, kBias: Matrix? = nil, vBias: Matrix? = nil,
            o: Matrix, oBias: Matrix? = nil, qNorm: Matrix? = nil, kNorm: Matrix? = nil,
            postNorm: Matrix, gate: Matrix? = nil, sharedGate: Matrix? = nil, scoreCorrectionBias: Matrix? = nil,
            gateBias: Matrix? = nil, sinks: Matrix? = nil
        ) throws {
            let h = config.hiddenSize
            let a = "model.layers.\(layer).self_attn."
            try BackboneWeights.check(a + "q_proj.weight", q, [config.qDim, h])
            try BackboneWeights.check(a + "k_proj.weight", k, [config.kvDim, h])
            try BackboneWeights.check(a + "v_proj.weight", v, [config.kvDim, h])
            try BackboneWeights.check(a + "o_proj.weight", o, [h, config.qDim])
            var qkvBias: Matrix?
            if config.attentionBias, let qBias, let kBias, let vBias {
                try BackboneWeights.check(a + "q_proj.bias", qBias, [1, config.qDim])
                try BackboneWeights.check(a + "k_proj.bias", kBias, [1, config.kvDim])
                try BackboneWeights.check(a + "v_proj.bias", vBias, [1, config.kvDim])
                qkvBias = Matrix(rows: 1, cols: config.qDim + 2 * config.kvDim, values: qBias.toArray() + kBias.toArray() + vBias.toArray())
            }
            if let gate { try BackboneWeights.check("model.layers.\(layer).mlp.gate.weight", gate, [config.numExperts, h]) }
            if let sharedGate { try BackboneWeights.check("model.layers.\(layer).mlp.shared_expert_gate.weight", sharedGate, [1, h]) }
            try self.init(config: config, layer: layer, inputNorm: inputNorm, qkv: PackedWeight(stacking: [q, k, v]),
                          qkvBias: qkvBias, o: PackedWeight(o), oBias: oBias, qNorm: qNorm, kNorm: kNorm, postNorm: postNorm,
                          gate: gate.map { PackedWeight($0) }, sharedGate: sharedGate.map { PackedWeight($0) },
                          scoreCorrectionBias: scoreCorrectionBias, gateBias: gateBias, sinks: sinks)
        }

        /// Checks every shape against `config` for `layer`; q, k and v come fused and packed
        /// (`[qDim + 2 kvDim, hidden]`, biases `1 x (qDim + 2 kvDim)`), as a checkpoint loads them.
        public init(
            config: ModelConfig, layer: Int,
            inputNorm: Matrix, qkv: any LinearWeight, qkvBias: Matrix? = nil,
            o: any LinearWeight, oBias: Matrix? = nil, qNorm: Matrix? = nil, kNorm: Matrix? = nil,
            postNorm: Matrix, gate: (any LinearWeight)? = nil, sharedGate: (any LinearWeight)? = nil,
            scoreCorrectionBias: Matrix? = nil, latent: LatentWeights? = nil, gateBias: Matrix? = nil,
            sinks: Matrix? = nil
        ) throws {
            let h = config.hiddenSize
            let width = config.attentionInputWidth
            let prefix = "model.layers.\(layer)."
            try BackboneWeights.check(prefix + "input_layernorm.weight", inputNorm, [1, h])
            try BackboneWeights.check(prefix + "self_attn.{q,k,v}_proj.weight", qkv, [width, h])
            try BackboneWeights.check(prefix + "self_attn.o_proj.weight", o, [h, config.attentionOutputWidth])
            try BackboneWeights.check(prefix + "post_attention_layernorm.weight", postNorm, [1, h])
            if config.latentAttention != nil, latent == nil {
                throw EngineError.missingWeight(prefix + "self_attn.kv_b_proj.weight")
            }
            if config.attentionBias {
                guard let qkvBias else { throw EngineError.missingWeight(prefix + "self_attn.{q,k,v}_proj.bias") }
                try BackboneWeights.check(prefix + "self_attn.{q,k,v}_proj.bias", qkvBias, [1, width])
            }
            if let oBias { try BackboneWeights.check(prefix + "self_attn.o_proj.bias", oBias, [1, h]) }
            switch config.qkNorm {
            case .none:
                break
            case .perHead, .full:
                guard let qNorm, let kNorm else { throw EngineError.missingWeight(prefix + "self_attn.{q,k}_norm.weight") }
                let perHead = config.qkNorm == .perHead
                try BackboneWeights.check(prefix + "self_attn.q_norm.weight", qNorm, [1, perHead ? config.headDim : config.qDim])
                try BackboneWeights.check(prefix + "self_attn.k_norm.weight", kNorm, [1, perHead ? config.headDim : config.kvDim])
            }
            if config.attentionSinks {
                guard let sinks else { throw EngineError.missingWeight(prefix + "self_attn.sinks") }
                try BackboneWeights.check(prefix + "self_attn.sinks", sinks, [1, config.numHeads])
            }
            if config.isSparse(layer: layer) {
                let router = prefix + "mlp.\(config.family.definition.routerModuleName)"
                guard let gate else { throw EngineError.missingWeight(router + ".weight") }
                try BackboneWeights.check(router + ".weight", gate, [config.numExperts, h])
                if config.routerBias {
                    let name = router + ".bias"
                    guard let gateBias else { throw EngineError.missingWeight(name) }
                    try BackboneWeights.check(name, gateBias, [1, config.numExperts])
                }
                if config.scoreCorrectionBias {
                    guard let scoreCorrectionBias else { throw EngineError.missingWeight(prefix + "mlp.gate.e_score_correction_bias") }
                    try BackboneWeights.check(prefix + "mlp.gate.e_score_correction_bias", scoreCorrectionBias, [1, config.numExperts])
                }
                if config.hasSharedExpert && config.sharedExpertGated {
                    guard let sharedGate else { throw EngineError.missingWeight(prefix + "mlp.shared_expert_gate.weight") }
                    try BackboneWeights.check(prefix + "mlp.shared_expert_gate.weight", sharedGate, [1, h])
                }
            }
            self.inputNorm = inputNorm
            self.qkv = qkv
            self.qkvBias = config.attentionBias ? qkvBias : nil
            self.o = o
            self.oBias = oBias
            self.qNorm = config.qkNorm == .none ? nil : qNorm
            self.kNorm = config.qkNorm == .none ? nil : kNorm
            self.postNorm = postNorm
            self.latent = config.latentAttention == nil ? nil : latent
            self.gate = config.isSparse(layer: layer) ? gate : nil
            self.sharedGate = config.isSparse(layer: layer) && config.hasSharedExpert && config.sharedExpertGated ? sharedGate : nil
            self.scoreCorrectionBias = config.isSparse(layer: layer) && config.scoreCorrectionBias ? scoreCorrectionBias : nil
            self.gateBias = config.isSparse(layer: layer) && config.routerBias ? gateBias : nil
            self.sinks = config.attentionSinks ? sinks : nil
        }

        var byteCount: Int {
            let vectors = [inputNorm, postNorm].reduce(0) { $0 + $1.count }
                + [qkvBias, oBias, qNorm, kNorm, scoreCorrectionBias, gateBias, sinks].reduce(0) { $0 + ($1?.count ?? 0) }
            return vectors * MemoryLayout<Float>.stride
                + [qkv, o].reduce(0) { $0 + $1.byteCount } + [gate, sharedGate].reduce(0) { $0 + ($1?.byteCount ?? 0) }
                + (latent?.byteCount ?? 0)
        }
    }
}
