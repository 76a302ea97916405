import SwitchyardTensor

extension RouterWeights {
    /// The router-side weights of one decoder layer. q, k and v are fused into one `[q | k | v]`
    /// projection at construction so a step runs one matmul for all three.
    public final class Layer: @unchecked Sendable {
        /// `1 x hidden`.
        public let inputNorm: Matrix
        /// `[qDim + 2 kvDim, hidden]`: rows of q, then k, then v.
        public let qkv: PackedWeight
        /// `1 x (qDim + 2 kvDim)` when the family has q/k/v biases.
        public let qkvBias: Matrix?
        /// `[hidden, qDim]`.
        public let o: PackedWeight
        /// `1 x hidden` when the o projection has a bias.
        public let oBias: Matrix?
        /// q and k norm weights: `1 x headDim` (per head) or `1 x qDim` / `1 x kvDim` (full).
        public let qNorm: Matrix?
        public let kNorm: Matrix?
        /// `1 x hidden`.
        public let postNorm: Matrix
        /// The router gate `[numExperts, hidden]` of a sparse layer.
        public let gate: PackedWeight?
        /// The shared expert's gate `1 x hidden` (qwen2_moe sparse layers).
        public let sharedGate: PackedWeight?

        /// Checks every shape against `config` for `layer` and fuses q, k, v (and their biases).
        public init(
            config: ModelConfig, layer: Int,
            inputNorm: Matrix, q: Matrix, k: Matrix, v: Matrix,
            qBias: Matrix? = nil, kBias: Matrix? = nil, vBias: Matrix? = nil,
            o: Matrix, oBias: Matrix? = nil, qNorm: Matrix? = nil, kNorm: Matrix? = nil,
            postNorm: Matrix, gate: Matrix? = nil, sharedGate: Matrix? = nil
        ) throws {
            let h = config.hiddenSize
            let prefix = "model.layers.\(layer)."
            try RouterWeights.check(prefix + "input_layernorm.weight", inputNorm, [1, h])
            try RouterWeights.check(prefix + "self_attn.q_proj.weight", q, [config.qDim, h])
            try RouterWeights.check(prefix + "self_attn.k_proj.weight", k, [config.kvDim, h])
            try RouterWeights.check(prefix + "self_attn.v_proj.weight", v, [config.kvDim, h])
            try RouterWeights.check(prefix + "self_attn.o_proj.weight", o, [h, config.qDim])
            try RouterWeights.check(prefix + "post_attention_layernorm.weight", postNorm, [1, h])
            if config.attentionBias {
                guard let qBias, let kBias, let vBias else {
                    throw EngineError.missingWeight(prefix + "self_attn.{q,k,v}_proj.bias")
                }
                try RouterWeights.check(prefix + "self_attn.q_proj.bias", qBias, [1, config.qDim])
                try RouterWeights.check(prefix + "self_attn.k_proj.bias", kBias, [1, config.kvDim])
                try RouterWeights.check(prefix + "self_attn.v_proj.bias", vBias, [1, config.kvDim])
                let fused = Matrix(rows: 1, cols: config.qDim + 2 * config.kvDim)
                fused.base.update(from: qBias.base, count: config.qDim)
                (fused.base + config.qDim).update(from: kBias.base, count: config.kvDim)
                (fused.base + config.qDim + config.kvDim).update(from: vBias.base, count: config.kvDim)
                qkvBias = fused
            } else {
                qkvBias = nil
            }
            if let oBias { try RouterWeights.check(prefix + "self_attn.o_proj.bias", oBias, [1, h]) }
            switch config.qkNorm {
            case .none:
                break
            case .perHead, .full:
                guard let qNorm, let kNorm else { throw EngineError.missingWeight(prefix + "self_attn.{q,k}_norm.weight") }
                let perHead = config.qkNorm == .perHead
                try RouterWeights.check(prefix + "self_attn.q_norm.weight", qNorm, [1, perHead ? config.headDim : config.qDim])
                try RouterWeights.check(prefix + "self_attn.k_norm.weight", kNorm, [1, perHead ? config.headDim : config.kvDim])
            }
            if config.isSparse(layer: layer) {
                guard let gate else { throw EngineError.missingWeight(prefix + "mlp.gate.weight") }
                try RouterWeights.check(prefix + "mlp.gate.weight", gate, [config.numExperts, h])
                if config.hasSharedExpert {
                    guard let sharedGate else { throw EngineError.missingWeight(prefix + "mlp.shared_expert_gate.weight") }
                    try RouterWeights.check(prefix + "mlp.shared_expert_gate.weight", sharedGate, [1, h])
                }
            }
            self.inputNorm = inputNorm
            self.qkv = PackedWeight(stacking: [q, k, v])
            self.o = PackedWeight(o)
            self.oBias = oBias
            self.qNorm = config.qkNorm == .none ? nil : qNorm
            self.kNorm = config.qkNorm == .none ? nil : kNorm
            self.postNorm = postNorm
            self.gate = config.isSparse(layer: layer) ? gate.map(PackedWeight.init) : nil
            self.sharedGate = config.isSparse(layer: layer) && config.hasSharedExpert ? sharedGate.map(PackedWeight.init) : nil
        }

        var byteCount: Int {
            let vectors = [inputNorm, postNorm].reduce(0) { $0 + $1.count }
                + [qkvBias, oBias, qNorm, kNorm].reduce(0) { $0 + ($1?.count ?? 0) }
            return vectors * MemoryLayout<Float>.stride
                + [qkv, o].reduce(0) { $0 + $1.byteCount } + [gate, sharedGate].reduce(0) { $0 + ($1?.byteCount ?? 0) }
        }
    }
}
