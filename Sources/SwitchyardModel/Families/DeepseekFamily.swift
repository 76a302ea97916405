/// What deepseek_v2 and deepseek_v3 share: multi-head latent attention (head_dim is the RoPE part of
/// a head), YaRN, dense first layers by `first_k_dense_replace`, `n_shared_experts` ungated shared
/// experts, `attention_bias` on q/kv/o, bias-free experts.
import SwitchyardTensor

protocol DeepseekFamily: ModelFamilyDefinition {}

extension DeepseekFamily {
    var hasDenseLayers: Bool { true }
    var latentAttention: Bool { true }
    var supportsYaRN: Bool { true }

    /// The keys both read alike.
    func parseCommonQuirks(_ json: ConfigReader, into config: inout ModelConfig, sharedExperts: Int) throws {
        try config.setSharedExperts(json, defaultCount: sharedExperts)
        let bias = try json.bool("attention_bias", default: false)
        (config.attentionBias, config.outputBias) = (bias, bias)
        if try json.bool("mlp_bias", default: false) {
            throw ModelError.invalidConfigValue(path: json.path, key: "mlp_bias", reason: "true is not supported (experts are bias-free SwiGLU)")
        }
    }

    var ggufArchitectures: [String] { ["deepseek2"] }

    /// What llama.cpp's `deepseek2` files say alike for both. The converter writes MLA as MQA
    /// (`head_count_kv` 1, `key_length` = kv_lora_rank + rope, `value_length` = kv_lora_rank) and the
    /// real head sizes as `key_length_mla` / `value_length_mla` (older files: in key/value_length);
    /// RoPE is always interleaved (ggml's "normal" mode, as `rope_interleave`); the first
    /// `leading_dense_block_count` layers are dense; YaRN's `mscale_all_dim` arrives as
    /// `yarn_log_multiplier` = 0.1 x it, and goes on the softmax scale as transformers puts it (the
    /// cos/sin factor is then 1: `mscale` = `mscale_all_dim`, as in DeepSeek's own configs).
    func applyCommonGGUF(_ metadata: GGUFMetadata, info: GGUFModelInfo, into config: inout ModelConfig) throws {
        let p = info.architecture.rawValue
        func invalid(_ key: String, _ why: String) -> GGUFError { GGUFError(.invalidValue, file: metadata.file, key: key, why) }
        guard let kvLora = info.kvLoraRank, kvLora > 0 else { throw metadata.missing("\(p).attention.kv_lora_rank") }
        let rope = info.ropeDimensionCount
        let keyLength = try metadata.int("\(p).attention.key_length_mla") ?? info.keyLength
        let valueLength = try metadata.int("\(p).attention.value_length_mla") ?? info.valueLength
        guard keyLength > rope else {
            throw invalid("\(p).attention.key_length_mla", "the query head (\(keyLength)) must be wider than its RoPE part (\(rope))")
        }
        guard valueLength > 0 else { throw invalid("\(p).attention.value_length_mla", "must be positive, found \(valueLength)") }
        config.latentAttention = ModelConfig.LatentAttentionShape(
            qLoraRank: info.qLoraRank.flatMap { $0 > 0 ? $0 : nil }, kvLoraRank: kvLora,
            nopeHeadDim: keyLength - rope, ropeHeadDim: rope, valueHeadDim: valueLength)
        config.ropeInterleaved = true
        guard info.leadingDenseBlockCount <= config.numLayers else {
            throw invalid("\(p).leading_dense_block_count", "\(info.leadingDenseBlockCount) exceeds the \(config.numLayers) layers")
        }
        config.mlpOnlyLayers = Array(0..<info.leadingDenseBlockCount)
        if config.sharedExpertIntermediateSize > 0 { config.sharedExpertGated = false }
        if var yarn = config.ropeYaRN, let logMultiplier = info.ropeScaling.yarnLogMultiplier, logMultiplier != 0 {
            let mscaleAllDim = RoPE.YaRN.mscale(yarn.factor, logMultiplier / 0.1)
            config.attentionScaleFactor = Float(mscaleAllDim * mscaleAllDim)
            yarn.attentionFactor = info.ropeScaling.attentionFactor ?? 1
            config.ropeYaRN = yarn
        }
    }

    /// The keys both write alike.
    func writeCommonConfigKeys(_ config: ModelConfig, into fields: inout [String: JSONOut]) {
        let mla = config.latentAttention ?? ModelConfig.LatentAttentionShape(
            qLoraRank: nil, kvLoraRank: 0, nopeHeadDim: 0, ropeHeadDim: config.headDim, valueHeadDim: 0)
        fields["n_routed_experts"] = .int(config.numExperts)
        fields["moe_intermediate_size"] = .int(config.moeIntermediateSize)
        fields["n_shared_experts"] = .int(config.sharedExpertIntermediateSize / max(config.moeIntermediateSize, 1))
        fields["norm_topk_prob"] = .bool(config.normTopKProb)
        fields["routed_scaling_factor"] = .float(config.routedScalingFactor)
        fields["first_k_dense_replace"] = .int(config.mlpOnlyLayers.count)
        fields["attention_bias"] = .bool(config.attentionBias)
        fields["q_lora_rank"] = mla.qLoraRank.map { .int($0) } ?? .null
        fields["kv_lora_rank"] = .int(mla.kvLoraRank)
        fields["qk_nope_head_dim"] = .int(mla.nopeHeadDim)
        fields["qk_rope_head_dim"] = .int(mla.ropeHeadDim)
        fields["v_head_dim"] = .int(mla.valueHeadDim)
        fields["num_nextn_predict_layers"] = .int(0)
        let grouped = config.expertGroups > 1
        fields["n_group"] = grouped ? .int(config.expertGroups) : .null
        fields["topk_group"] = grouped ? .int(config.topKGroups) : .null
    }

    /// DeepSeek's shape at `preset` size: MLA (a q LoRA for deepseek_v3, none for deepseek_v2 as in
    /// V2-Lite) with interleaved RoPE, a dense first layer and shared experts. The bench preset has
    /// 64 routed experts top-6 and 2 shared.
    func applyCommonPreset(_ preset: ModelPreset, to config: inout ModelConfig, qLora: Bool) {
        let bench = preset == .bench
        let h = config.hiddenSize
        let mla = ModelConfig.LatentAttentionShape(
            qLoraRank: qLora ? h * 3 / 8 : nil, kvLoraRank: h / 4, nopeHeadDim: bench ? 64 : 16,
            ropeHeadDim: bench ? 32 : 8, valueHeadDim: bench ? 64 : 16)
        config.latentAttention = mla
        config.headDim = mla.ropeHeadDim
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
    }
}
