/// The engine's config of a GGUF model, from `general.architecture`, the `{arch}.*` hyperparameters
/// and which tensors the file holds (biases, QK norms, shared experts).
extension ModelConfig {
    /// Reads the config of `model` through the family registry (`ModelFamily(ggufArchitecture:expertCount:)`).
    ///
    /// Layout facts come from the tensors: q/k/v and o biases from `blk.0.attn_{q,output}.bias`, the
    /// QK norm from `blk.0.attn_q_norm` (per head when it has `headDim` values, else whole), the
    /// shared expert from `blk.0.ffn_up_shexp`. What the engine does not implement (partial RoPE,
    /// scaled RoPE other than none, different key and value head sizes) is refused by name.
    public static func load(gguf model: GGUFModelFiles) throws -> ModelConfig {
        let info = try GGUFModelInfo(model: model)
        let file = model.files[0].path
        let arch = info.architecture.rawValue
        guard let family = ModelFamily(ggufArchitecture: arch, expertCount: info.expertCount) else {
            throw GGUFError(.unsupportedArchitecture, file: file, key: "general.architecture",
                            "architecture '\(arch)' is not served yet; supported: \(ModelFamily.supportedGGUFList)")
        }
        func refuse(_ key: String, _ why: String) -> GGUFError { GGUFError(.invalidValue, file: file, key: key, why) }
        guard info.keyLength == info.valueLength else {
            throw refuse("\(arch).attention.value_length", "key_length \(info.keyLength) differs from value_length \(info.valueLength): not implemented")
        }
        let headDim = info.keyLength
        guard headDim % 2 == 0 else { throw refuse("\(arch).attention.key_length", "must be even for RoPE, found \(headDim)") }
        guard info.ropeDimensionCount == headDim else {
            throw refuse("\(arch).rope.dimension_count", "partial RoPE (\(info.ropeDimensionCount) of \(headDim) dimensions) is not implemented")
        }
        if let type = info.ropeScaling.type, type != "none" {
            throw refuse("\(arch).rope.scaling.type", "RoPE scaling '\(type)' is not implemented")
        }
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
        let sharedSize = info.expertSharedFeedForwardLength
            ?? model.tensor(named: "blk.0.ffn_up_shexp.weight").map { $0.info.shape.first ?? 0 } ?? 0
        let expertSize = info.expertFeedForwardLength ?? info.feedForwardLength ?? 0
        let tokenizer = model.metadata
        let bos = try tokenizer.int("tokenizer.ggml.bos_token_id")
        let eos = try tokenizer.int("tokenizer.ggml.eos_token_id")
        var config = ModelConfig(
            family: family, hiddenSize: info.embeddingLength, numLayers: info.blockCount, numHeads: info.headCount,
            numKVHeads: info.headCountKV, headDim: headDim, vocabSize: info.vocabSize,
            intermediateSize: info.feedForwardLength ?? expertSize, moeIntermediateSize: expertSize,
            sharedExpertIntermediateSize: sharedSize, numExperts: info.expertCount, topK: info.expertUsedCount,
            normTopKProb: info.expertWeightsNorm ?? false, rmsNormEps: Float(info.rmsNormEpsilon),
            ropeTheta: info.ropeFreqBase, maxPositionEmbeddings: info.contextLength,
            tieWordEmbeddings: info.tiedEmbeddings,
            attentionBias: names.contains("blk.0.attn_q.bias"), outputBias: names.contains("blk.0.attn_output.bias"),
            qkNorm: qkNorm, bosTokenID: bos, eosTokenIDs: eos.map { [$0] } ?? [], dtype: .f32)
        try family.definition.applyGGUF(model.metadata, info: info, into: &config)
        return config
    }
}
