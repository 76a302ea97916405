import SwitchyardModel
import SwitchyardTokenizer
import SwitchyardTensor

extension ModelInitializer {
    /// Model sizes `init-model` writes.
    public enum Preset: String, Sendable, CaseIterable {
        /// hidden 64, 2 layers, 4 experts top-2, vocab 512: unit and integration tests.
        case tiny
        /// hidden 256, 4 layers, 8 experts top-2, vocab 4096: multi-worker demos.
        case small
        /// Mixtral-shaped, hidden 1024, intermediate 2048, 8 layers, 16 heads, 4 KV heads,
        /// 8 experts top-2, vocab 32000 (about 0.49B parameters for mixtral): benchmarks.
        case bench
    }

    /// The config of `family` at `preset` size.
    public static func config(family: ModelFamily, preset: Preset, dtype: DType = .f32) -> ModelConfig {
        let (hidden, layers, heads, kvHeads, vocab, intermediate, experts, maxPositions): (Int, Int, Int, Int, Int, Int, Int, Int) =
            switch preset {
            case .tiny: (64, 2, 4, 2, 512, 128, 4, 2048)
            case .small: (256, 4, 8, 4, 4096, 512, 8, 4096)
            case .bench: (1024, 8, 16, 4, 32000, 2048, 8, 4096)
            }
        let qwen = family == .qwen2_moe || family == .qwen3_moe
        var config = ModelConfig(
            family: family, hiddenSize: hidden, numLayers: layers, numHeads: heads, numKVHeads: kvHeads,
            headDim: hidden / heads, vocabSize: vocab, intermediateSize: intermediate,
            moeIntermediateSize: qwen && preset != .bench ? intermediate / 2 : intermediate,
            sharedExpertIntermediateSize: family == .qwen2_moe ? intermediate : 0,
            numExperts: experts, topK: 2, normTopKProb: family == .mixtral,
            rmsNormEps: family == .mixtral || family == .olmoe ? 1e-5 : 1e-6, ropeTheta: family.defaultRopeTheta,
            maxPositionEmbeddings: maxPositions, tieWordEmbeddings: false,
            attentionBias: family == .qwen2_moe, outputBias: false,
            qkNorm: family == .qwen3_moe ? .perHead : family == .olmoe ? .full : .none,
            bosTokenID: 1, eosTokenIDs: [2], dtype: dtype
        )
        if family == .glm4_moe { shapeAsGLM(&config, preset: preset) }
        if family == .deepseek_v2 || family == .deepseek_v3 { shapeAsDeepSeek(&config, preset: preset) }
        return config
    }

    /// GLM-4.5's shape at `preset` size: a dense first layer, sigmoid routing with a correction
    /// bias over 2 expert groups, routed_scaling_factor 2.5, one shared expert, half-rotary heads
    /// and q/k/v biases.
    private static func shapeAsGLM(_ config: inout ModelConfig, preset: Preset) {
        let moe = preset == .bench ? config.intermediateSize / 4 : config.intermediateSize / 2
        config.moeIntermediateSize = moe
        config.sharedExpertIntermediateSize = moe
        config.sharedExpertGated = false
        config.mlpOnlyLayers = [0]
        config.normTopKProb = true
        config.scoringFunction = .sigmoid
        config.scoreCorrectionBias = true
        config.expertGroups = 2
        config.topKGroups = preset == .tiny ? 1 : 2
        config.groupScore = .topTwoSum
        config.routedScalingFactor = 2.5
        config.rotaryDim = config.headDim / 2
        config.attentionBias = true
        config.rmsNormEps = 1e-5
    }

    /// DeepSeek's shape at `preset` size: MLA (a q LoRA for deepseek_v3, none for deepseek_v2 as in
    /// V2-Lite) with interleaved RoPE, a dense first layer, shared experts, and the family's router
    /// (sigmoid + correction bias over expert groups for v3, softmax greedy for v2). The bench
    /// preset has 64 routed experts top-6 and 2 shared.
    private static func shapeAsDeepSeek(_ config: inout ModelConfig, preset: Preset) {
        let v3 = config.family == .deepseek_v3
        let bench = preset == .bench
        let h = config.hiddenSize
        config.latentAttention = ModelConfig.LatentAttentionShape(
            qLoraRank: v3 ? h * 3 / 8 : nil, kvLoraRank: h / 4, nopeHeadDim: bench ? 64 : 16,
            ropeHeadDim: bench ? 32 : 8, valueHeadDim: bench ? 64 : 16)
        config.headDim = config.latentAttention!.ropeHeadDim
        config.rotaryDim = config.headDim
        config.numKVHeads = config.numHeads
        config.ropeInterleaved = true
        if bench {
            config.numExperts = 64
            config.topK = 6
        }
        let moe = bench ? config.intermediateSize / 4 : config.intermediateSize / 2
        config.moeIntermediateSize = moe
        config.sharedExpertIntermediateSize = (bench ? 2 : 1) * moe
        config.sharedExpertGated = false
        config.mlpOnlyLayers = [0]
        config.rmsNormEps = 1e-6
        if v3 {
            config.normTopKProb = true
            config.scoringFunction = .sigmoid
            config.scoreCorrectionBias = true
            config.expertGroups = bench ? 8 : 2
            config.topKGroups = bench ? 4 : 1
            config.groupScore = .topTwoSum
            config.routedScalingFactor = 2.5
        } else {
            config.normTopKProb = false
        }
    }
}
