import SwitchyardTensor

extension BackboneWeights {
    /// The MLA weights of one layer beyond its fused first projection (`[q or q_a | kv_a]`, in
    /// `Layer.qkv`) and `o_proj` (in `Layer.o`).
    public final class LatentWeights: @unchecked Sendable {
        /// `1 x qLoraRank` `q_a_layernorm` with a q LoRA.
        public let qANorm: Matrix?
        /// `[heads * queryHeadDim, qLoraRank]` `q_b_proj` with a q LoRA.
        public let qB: (any LinearWeight)?
        /// `1 x kvLoraRank` `kv_a_layernorm`.
        public let kvANorm: Matrix
        /// `[heads * (nope + v), kvLoraRank]` `kv_b_proj`, plain row-major f32 whatever `--dtype`:
        /// attention reads each head's key rows and value rows in the absorbed products.
        public let kvB: Matrix
        /// Each head's key rows of `kvB` transposed (`[heads * kvLoraRank, nope]`), made at load for
        /// `LatentAttention.absorb`.
        public let keysTransposed: Matrix

        /// Checks every shape against `config` for `layer`.
        public init(config: ModelConfig, layer: Int, qANorm: Matrix?, qB: (any LinearWeight)?, kvANorm: Matrix, kvB: Matrix) throws {
            guard let mla = config.latentAttention else {
                throw EngineError.shapeMismatch("latent-attention weights for a model without MLA")
            }
            let a = "model.layers.\(layer).self_attn."
            if let rank = mla.qLoraRank {
                guard let qANorm, let qB else { throw EngineError.missingWeight(a + "q_a_layernorm.weight / q_b_proj.weight") }
                try BackboneWeights.check(a + "q_a_layernorm.weight", qANorm, [1, rank])
                try BackboneWeights.check(a + "q_b_proj.weight", qB, [config.numHeads * mla.queryHeadDim, rank])
            }
            try BackboneWeights.check(a + "kv_a_layernorm.weight", kvANorm, [1, mla.kvLoraRank])
            try BackboneWeights.check(a + "kv_b_proj.weight", kvB, [config.numHeads * (mla.nopeHeadDim + mla.valueHeadDim), mla.kvLoraRank])
            self.qANorm = mla.qLoraRank == nil ? nil : qANorm
            self.qB = mla.qLoraRank == nil ? nil : qB
            self.kvANorm = kvANorm
            self.kvB = kvB
            keysTransposed = LatentAttention.keysTransposed(kvB: kvB, shape: mla, heads: config.numHeads)
        }

        var byteCount: Int {
            ((qANorm?.count ?? 0) + kvANorm.count + kvB.count + keysTransposed.count) * MemoryLayout<Float>.stride + (qB?.byteCount ?? 0)
        }
    }
}
