import SwitchyardTensor

/// The engine's config of a GGUF model, from `general.architecture`, the `{arch}.*` hyperparameters
/// and which tensors the file holds (biases, QK norms, shared experts).
extension ModelConfig {
    /// Reads the config of `model` through the family registry (`ModelFamily(ggufArchitecture:expertCount:)`).
    ///
    /// Layout facts come from the tensors: q/k/v and o biases from `blk.0.attn_{q,output}.bias` (MLA:
    /// `attn_q_a` / `attn_kv_a_mqa`), the QK norm from `blk.0.attn_q_norm` (per head when it has
    /// `headDim` values, else whole), the shared expert from `blk.0.ffn_up_shexp`. Partial RoPE and
    /// YaRN are read for the families whose transformers code has them; MLA's head sizes are the
    /// family's to read (`applyGGUF`). Anything else the engine does not implement (other RoPE
    /// scalings, different key and value head sizes) is refused by name.
    public static func load(gguf model: GGUFModelFiles) throws -> ModelConfig {
        let info = try GGUFModelInfo(model: model)
        let file = model.files[0].path
        let arch = info.architecture.rawValue
        guard let family = ModelFamily(gguf: info) else {
            throw GGUFError(.unsupportedArchitecture, file: file, key: "general.architecture",
                            "architecture '\(arch)' is not served yet; supported: \(ModelFamily.supportedGGUFList)")
        }
        let definition = family.definition
        func refuse(_ key: String, _ why: String) -> GGUFError { GGUFError(.invalidValue, file: file, key: key, why) }
        // MLA: the family reads the head sizes; head_dim is the RoPE part.
        let headDim = definition.latentAttention ? info.ropeDimensionCount : info.keyLength
        if !definition.latentAttention {
            guard info.keyLength == info.valueLength else {
                throw refuse("\(arch).attention.value_length", "key_length \(info.keyLength) differs from value_length \(info.valueLength): not implemented")
            }
            guard info.ropeDimensionCount == headDim
                || (definition.supportsPartialRotary && info.ropeDimensionCount > 0 && info.ropeDimensionCount < headDim) else {
                throw refuse("\(arch).rope.dimension_count", "partial RoPE (\(info.ropeDimensionCount) of \(headDim) dimensions) is not implemented for \(arch)")
            }
        }
        guard headDim % 2 == 0, info.ropeDimensionCount % 2 == 0 else {
            throw refuse("\(arch).rope.dimension_count", "RoPE needs an even width, found \(info.ropeDimensionCount) of \(headDim)")
        }
        let yarn = try ropeYaRN(info, supported: definition.supportsYaRN, file: file)
        if model.tensor(named: "rope_freqs.weight") != nil {
            throw GGUFError(.invalidValue, file: file, tensor: "rope_freqs.weight", "RoPE frequency factors (Llama 3 scaling in GGUF) are not implemented")
        }
        let names = Set(model.tensorNames)
        let qkNorm: QKNorm
        if let norm = model.tensor(named: "blk.0.attn_q_norm.weight") {
            qkNorm = norm.info.elementCount == headDim ? .perHead : .full
        } else {
            qkNorm = .none
        }
        // MTP ("NextN") blocks that converters append after the decoder layers (glm4moe) are not
        // decoder layers: llama.cpp skips them too.
        let nextn = try model.metadata.int("\(arch).nextn_predict_layers") ?? 0
        guard nextn >= 0, nextn < info.blockCount else {
            throw refuse("\(arch).nextn_predict_layers", "\(nextn) leaves no decoder layer of the \(info.blockCount) blocks")
        }
        // The first layer with a shared expert (leading layers may be dense).
        let sharedSize = info.expertSharedFeedForwardLength
            ?? (0..<info.blockCount).lazy.compactMap { model.tensor(named: "blk.\($0).ffn_up_shexp.weight") }.first
                .map { $0.info.shape.first ?? 0 } ?? 0
        let expertSize = info.expertFeedForwardLength ?? info.feedForwardLength ?? 0
        let tokenizer = model.metadata
        let bos = try tokenizer.int("tokenizer.ggml.bos_token_id")
        let eos = try tokenizer.int("tokenizer.ggml.eos_token_id")
        let attentionBias = ["attn_q", "attn_q_a", "attn_kv_a_mqa"].contains { names.contains("blk.0.\($0).bias") }
        var config = ModelConfig(
            family: family, hiddenSize: info.embeddingLength, numLayers: info.blockCount - nextn, numHeads: info.headCount,
            numKVHeads: definition.latentAttention ? info.headCount : info.headCountKV, headDim: headDim, vocabSize: info.vocabSize,
            intermediateSize: info.feedForwardLength ?? expertSize, moeIntermediateSize: expertSize,
            sharedExpertIntermediateSize: sharedSize, numExperts: info.expertCount, topK: info.expertUsedCount,
            normTopKProb: info.expertWeightsNorm ?? false, rmsNormEps: Float(info.rmsNormEpsilon),
            ropeTheta: info.ropeFreqBase, maxPositionEmbeddings: info.contextLength,
            tieWordEmbeddings: info.tiedEmbeddings,
            attentionBias: attentionBias, outputBias: names.contains("blk.0.attn_output.bias"),
            qkNorm: qkNorm, bosTokenID: bos, eosTokenIDs: eos.map { [$0] } ?? [], dtype: .f32,
            rotaryDim: info.ropeDimensionCount, ropeYaRN: yarn)
        try family.definition.applyGGUF(model.metadata, info: info, into: &config)
        return config
    }

    /// `{arch}.rope.scaling.*` as transformers' YaRN: nil for none; other scalings, or YaRN for a
    /// family whose transformers code lacks it, are refused. Without `attn_factor` the cos/sin factor
    /// is transformers' default `0.1 ln(factor) + 1`, or 1 when `yarn_log_multiplier` says the
    /// family puts its mscale on the softmax instead (deepseek2, see `DeepseekFamily`).
    private static func ropeYaRN(_ info: GGUFModelInfo, supported: Bool, file: String) throws -> RoPE.YaRN? {
        let arch = info.architecture.rawValue
        let scaling = info.ropeScaling
        guard let type = scaling.type, type != "none" else { return nil }
        guard type == "yarn", supported else {
            throw GGUFError(.invalidValue, file: file, key: "\(arch).rope.scaling.type", "RoPE scaling '\(type)' is not implemented for \(arch)")
        }
        guard let factor = scaling.factor, factor > 0 else {
            throw GGUFError(.invalidValue, file: file, key: "\(arch).rope.scaling.factor", "YaRN needs a positive factor, found \(scaling.factor.map { "\($0)" } ?? "none")")
        }
        let original = scaling.originalContextLength ?? info.contextLength
        guard original > 0 else {
            throw GGUFError(.invalidValue, file: file, key: "\(arch).rope.scaling.original_context_length", "must be positive, found \(original)")
        }
        let softmaxMscale = (scaling.yarnLogMultiplier ?? 0) != 0
        return RoPE.YaRN(factor: factor, originalMaxPositions: original, betaFast: scaling.yarnBetaFast ?? 32,
                         betaSlow: scaling.yarnBetaSlow ?? 1,
                         attentionFactor: scaling.attentionFactor ?? (softmaxMscale ? 1 : RoPE.YaRN.mscale(factor)))
    }
}
