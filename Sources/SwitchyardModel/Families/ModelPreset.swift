import SwitchyardTensor

/// Model sizes `init-model` writes; each family adapts the generic config (`ModelFamilyDefinition.applyPreset`).
public enum ModelPreset: String, Sendable, CaseIterable {
    /// hidden 64, 2 layers, 4 experts top-2, vocab 512: unit and integration tests.
    case tiny
    /// hidden 256, 4 layers, 8 experts top-2, vocab 4096: multi-worker demos.
    case small
    /// Mixtral-shaped, hidden 1024, intermediate 2048, 8 layers, 16 heads, 4 KV heads,
    /// 8 experts top-2, vocab 32000 (about 0.49B parameters for mixtral): benchmarks.
    case bench

    /// The config of `family` at this size.
    public func config(family: ModelFamily, dtype: DType = .f32) -> ModelConfig {
        let (hidden, layers, heads, kvHeads, vocab, intermediate, experts, maxPositions): (Int, Int, Int, Int, Int, Int, Int, Int) =
            switch self {
            case .tiny: (64, 2, 4, 2, 512, 128, 4, 2048)
            case .small: (256, 4, 8, 4, 4096, 512, 8, 4096)
            case .bench: (1024, 8, 16, 4, 32000, 2048, 8, 4096)
            }
        let definition = family.definition
        var config = ModelConfig(
            family: family, hiddenSize: hidden, numLayers: layers, numHeads: heads, numKVHeads: kvHeads,
            headDim: hidden / heads, vocabSize: vocab, intermediateSize: intermediate,
            moeIntermediateSize: intermediate, sharedExpertIntermediateSize: 0,
            numExperts: experts, topK: 2, normTopKProb: false,
            rmsNormEps: 1e-6, ropeTheta: definition.defaults.ropeTheta,
            maxPositionEmbeddings: maxPositions, tieWordEmbeddings: false,
            attentionBias: false, outputBias: false, qkNorm: .none,
            bosTokenID: 1, eosTokenIDs: [2], dtype: dtype
        )
        definition.applyPreset(self, to: &config)
        return config
    }
}
