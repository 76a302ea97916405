import SwitchyardTensor

/// A model's architecture as the engine needs it, parsed from `config.json` (+ `generation_config.json`).
///
/// One struct for every family: family-specific keys are normalised at load time (e.g. Mixtral's
/// expert size is its `intermediate_size`, OLMoE has no shared expert) so the engine branches on
/// the fields, not on `family`, wherever it can.
public struct ModelConfig: Sendable, Equatable {
    /// How q and k are normalised before RoPE.
    public enum QKNorm: String, Sendable, Equatable {
        /// No normalisation (mixtral, qwen2_moe).
        case none
        /// RMSNorm over each head's `headDim` values, one weight of `headDim` shared by heads (qwen3_moe).
        case perHead
        /// RMSNorm over the whole q projection (`numHeads * headDim`) and the whole k projection (olmoe).
        case full
    }

    /// How router logits become the scores experts are chosen by.
    public enum ScoringFunction: String, Sendable, Equatable {
        /// Softmax over all experts, then top-k (mixtral, qwen, olmoe, deepseek_v2).
        case softmax
        /// Independent sigmoid per expert, then top-k (deepseek_v3, glm4_moe).
        case sigmoid
        /// Top-k of the raw logits, then softmax over the k chosen (gpt_oss).
        case softmaxOverTopK
    }

    /// How a group of experts is scored in group-limited routing.
    public enum GroupScore: String, Sendable, Equatable {
        /// The group's best expert score (deepseek_v2 `group_limited_greedy`).
        case max
        /// The sum of the group's two best choice scores (deepseek_v3 / glm4_moe `noaux_tc`).
        case topTwoSum
    }

    public var family: ModelFamily
    public var hiddenSize: Int
    public var numLayers: Int
    public var numHeads: Int
    public var numKVHeads: Int
    public var headDim: Int
    public var vocabSize: Int
    /// The dense MLP's intermediate size (qwen non-sparse layers; equals the expert size for mixtral/olmoe).
    public var intermediateSize: Int
    /// A routed expert's intermediate size.
    public var moeIntermediateSize: Int
    /// The shared expert's intermediate size; 0 when the family has none.
    public var sharedExpertIntermediateSize: Int
    public var numExperts: Int
    public var topK: Int
    /// Whether the top-k routing weights are renormalised to sum to 1 (always true for mixtral).
    public var normTopKProb: Bool
    public var rmsNormEps: Float
    public var ropeTheta: Double
    /// A RoPE frequency scaling (Llama 3), nil for plain RoPE.
    public var ropeScaling: RopeScaling?
    public var maxPositionEmbeddings: Int
    public var tieWordEmbeddings: Bool
    /// Sliding-window attention size, nil for full attention; see `slidingWindow(layer:)`.
    public var slidingWindow: Int?
    /// Layers that use `slidingWindow` (nil: every layer when `slidingWindow` is set). qwen2_moe only.
    public var slidingWindowLayers: [Int]?
    /// q/k/v projections have a bias.
    public var attentionBias: Bool
    /// The o projection has a bias (qwen3_moe / olmoe with `attention_bias`).
    public var outputBias: Bool
    public var qkNorm: QKNorm
    /// OLMoE's clamp of q, k and v to `[-clipQKV, clipQKV]`.
    public var clipQKV: Float?
    public var decoderSparseStep: Int
    public var mlpOnlyLayers: [Int]
    public var bosTokenID: Int?
    /// End-of-sequence ids (generation_config.json overrides config.json).
    public var eosTokenIDs: [Int]
    /// The dtype config.json declares (tensors carry their own; this is informative).
    public var dtype: DType
    /// Leading dimensions of each head that RoPE rotates (`head_dim * partial_rotary_factor`); the
    /// rest pass through unrotated. Equals `headDim` for full rotary.
    public var rotaryDim: Int
    public var scoringFunction: ScoringFunction
    /// Whether sparse layers' routers hold an `e_score_correction_bias` added to the scores for the
    /// choice of experts only (the weights stay the unbiased scores).
    public var scoreCorrectionBias: Bool
    /// Group-limited routing: experts split into `expertGroups` equal groups and each row chooses
    /// among the experts of its best `topKGroups` groups. 1 group: plain top-k.
    public var expertGroups: Int
    public var topKGroups: Int
    public var groupScore: GroupScore
    /// Factor on the routed experts' weights after any renormalisation (not on shared experts).
    public var routedScalingFactor: Float
    /// Multi-head latent attention (deepseek); nil for grouped-query attention.
    public var latentAttention: LatentAttentionShape?
    /// Whether RoPE rotates adjacent pairs `(2i, 2i+1)` (deepseek) rather than `i` with `i + d/2`.
    public var ropeInterleaved: Bool
    /// YaRN RoPE scaling; nil for plain RoPE.
    public var ropeYaRN: RoPE.YaRN?
    /// Extra factor on the attention softmax scale (YaRN `mscale_all_dim` for MLA); 1 otherwise.
    public var attentionScaleFactor: Float
    /// Whether the shared expert's slot is weighted `sigmoid(shared_expert_gate · x)` (qwen2_moe);
    /// otherwise it is always added with weight 1 (deepseek, glm4_moe).
    public var sharedExpertGated: Bool
    /// Whether each attention head has a learned sink logit (`self_attn.sinks`) joining its softmax
    /// denominator without a value (gpt_oss).
    public var attentionSinks = false
    /// Whether the router is a linear with a bias (`mlp.router.bias`, gpt_oss).
    public var routerBias = false
    /// Whether routed experts have biases on their gate-up and down products (gpt_oss).
    public var expertBias = false
    /// The activation of every FFN expert.
    public var expertActivation: ExpertActivation = .swiglu

    public init(
        family: ModelFamily, hiddenSize: Int, numLayers: Int, numHeads: Int, numKVHeads: Int, headDim: Int,
        vocabSize: Int, intermediateSize: Int, moeIntermediateSize: Int, sharedExpertIntermediateSize: Int,
        numExperts: Int, topK: Int, normTopKProb: Bool, rmsNormEps: Float, ropeTheta: Double,
        maxPositionEmbeddings: Int, tieWordEmbeddings: Bool, slidingWindow: Int? = nil,
        slidingWindowLayers: [Int]? = nil, attentionBias: Bool, outputBias: Bool = false, qkNorm: QKNorm,
        clipQKV: Float? = nil, decoderSparseStep: Int = 1, mlpOnlyLayers: [Int] = [], bosTokenID: Int? = nil,
        eosTokenIDs: [Int] = [], dtype: DType = .f32, rotaryDim: Int? = nil,
        scoringFunction: ScoringFunction = .softmax, scoreCorrectionBias: Bool = false, expertGroups: Int = 1,
        topKGroups: Int = 1, groupScore: GroupScore = .max, routedScalingFactor: Float = 1,
        sharedExpertGated: Bool = true, latentAttention: LatentAttentionShape? = nil, ropeInterleaved: Bool = false,
        attentionScaleFactor: Float = 1, ropeYaRN: RoPE.YaRN? = nil
    ) {
        self.family = family
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.numHeads = numHeads
        self.numKVHeads = numKVHeads
        self.headDim = headDim
        self.vocabSize = vocabSize
        self.intermediateSize = intermediateSize
        self.moeIntermediateSize = moeIntermediateSize
        self.sharedExpertIntermediateSize = sharedExpertIntermediateSize
        self.numExperts = numExperts
        self.topK = topK
        self.normTopKProb = normTopKProb
        self.rmsNormEps = rmsNormEps
        self.ropeTheta = ropeTheta
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.tieWordEmbeddings = tieWordEmbeddings
        self.slidingWindow = slidingWindow
        self.slidingWindowLayers = slidingWindowLayers
        self.attentionBias = attentionBias
        self.outputBias = outputBias
        self.qkNorm = qkNorm
        self.clipQKV = clipQKV
        self.decoderSparseStep = decoderSparseStep
        self.mlpOnlyLayers = mlpOnlyLayers
        self.bosTokenID = bosTokenID
        self.eosTokenIDs = eosTokenIDs
        self.dtype = dtype
        self.rotaryDim = rotaryDim ?? headDim
        self.scoringFunction = scoringFunction
        self.scoreCorrectionBias = scoreCorrectionBias
        self.expertGroups = expertGroups
        self.topKGroups = topKGroups
        self.groupScore = groupScore
        self.routedScalingFactor = routedScalingFactor
        self.sharedExpertGated = sharedExpertGated
        self.latentAttention = latentAttention
        self.ropeInterleaved = ropeInterleaved
        self.attentionScaleFactor = attentionScaleFactor
        self.ropeYaRN = ropeYaRN
    }

    /// Whether `layer` routes to experts (otherwise it has one dense MLP of `intermediateSize`).
    ///
    /// transformers: sparse iff not in `mlp_only_layers`, `num_experts > 0` and
    /// `(layer + 1) % decoder_sparse_step == 0`.
    public func isSparse(layer: Int) -> Bool {
        numExperts > 0 && !mlpOnlyLayers.contains(layer) && (layer + 1) % max(decoderSparseStep, 1) == 0
    }

    /// Whether sparse layers have a shared expert (qwen2_moe, deepseek, glm4_moe), id `numExperts`.
    /// Several shared experts (`n_shared_experts`) are one FFN of their summed intermediate size.
    public var hasSharedExpert: Bool { sharedExpertIntermediateSize > 0 }

    /// The number of FFN experts of `layer`, shared expert included; 1 for a dense layer.
    public func ffnExperts(layer: Int) -> Int {
        isSparse(layer: layer) ? numExperts + (hasSharedExpert ? 1 : 0) : 1
    }

    /// Every FFN expert of the model, in (layer, expert) order.
    public var allExperts: [ExpertKey] {
        (0..<numLayers).flatMap { layer in (0..<ffnExperts(layer: layer)).map { ExpertKey(layer: layer, expert: $0) } }
    }

    /// Whether `(layer, expert)` names an FFN of this model.
    public func isValid(_ key: ExpertKey) -> Bool {
        key.layer >= 0 && key.layer < numLayers && key.expert >= 0 && key.expert < ffnExperts(layer: key.layer)
    }

    /// The intermediate size of one FFN expert: routed, shared (id `numExperts`) or dense (id 0).
    public func expertIntermediateSize(layer: Int, expert: Int) -> Int {
        guard isSparse(layer: layer) else { return intermediateSize }
        return expert == numExperts && hasSharedExpert ? sharedExpertIntermediateSize : moeIntermediateSize
    }

    /// The sliding window of `layer`'s attention, nil for full causal attention.
    public func slidingWindow(layer: Int) -> Int? {
        guard let window = slidingWindow else { return nil }
        guard let layers = slidingWindowLayers else { return window }
        return layers.contains(layer) ? window : nil
    }

    /// The rotary embedding of this config (theta and any frequency scaling).
    /// Rotates `rotaryDim` dimensions of each head (YaRN when `ropeYaRN` is set).
    public var rope: RoPE {
        if let ropeYaRN { return RoPE(headDim: rotaryDim, theta: ropeTheta, yarn: ropeYaRN) }
        let plain = RoPE.inverseFrequencies(headDim: rotaryDim, theta: ropeTheta)
        return RoPE(headDim: rotaryDim, theta: ropeTheta, inverseFrequencies: ropeScaling?.apply(to: plain) ?? plain)
    }

    /// Width of the q projection output (`numHeads * headDim`).
    public var qDim: Int { numHeads * headDim }
    /// Width of each of the k and v projection outputs (`numKVHeads * headDim`).
    public var kvDim: Int { numKVHeads * headDim }
}
