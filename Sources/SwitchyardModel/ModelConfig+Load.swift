import Foundation
import SwitchyardTensor

extension ModelConfig {
    /// Loads `config.json` (and `generation_config.json` when present) from a model directory.
    ///
    /// Defaults follow the transformers configuration class of each family; the keys no real
    /// checkpoint omits (`model_type`, `hidden_size`, `num_hidden_layers`, `num_attention_heads`,
    /// `vocab_size`) are required, because defaulting them yields a model that only fails later.
    ///
    /// `directory` may also name a GGUF model (`ModelLocation.isGGUF`): the config then comes from its
    /// metadata (`load(gguf:)`).
    public static func load(directory: URL) throws -> ModelConfig {
        if ModelLocation.isGGUF(directory) { return try load(gguf: GGUFModelFiles(path: directory.path)) }
        let configURL = directory.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw ModelError.missingFile(path: configURL.path, reason: "a model directory needs config.json")
        }
        let config = try ConfigJSON.loadObject(configURL)
        let generationURL = directory.appendingPathComponent("generation_config.json")
        let generation = FileManager.default.fileExists(atPath: generationURL.path)
            ? try ConfigJSON.loadObject(generationURL) : nil
        return try parse(
            ConfigReader(path: configURL.path, object: config),
            generation: generation.map { ConfigReader(path: generationURL.path, object: $0) }
        )
    }

    /// Parses config JSON given as bytes (tests, configs not on disk).
    public static func decode(configJSON: Data, generationConfigJSON: Data? = nil, source: String = "config.json") throws -> ModelConfig {
        func object(_ data: Data, _ name: String) throws -> [String: ConfigJSON] {
            guard case let .object(object) = try decodeJSON(data, name) else {
                throw ModelError.invalidJSON(path: name, reason: "the top level is not an object")
            }
            return object
        }
        let generation = try generationConfigJSON.map { ConfigReader(path: "generation_config.json", object: try object($0, "generation_config.json")) }
        return try parse(ConfigReader(path: source, object: try object(configJSON, source)), generation: generation)
    }

    private static func decodeJSON(_ data: Data, _ name: String) throws -> ConfigJSON {
        do {
            return try JSONDecoder().decode(ConfigJSON.self, from: data)
        } catch {
            throw ModelError.invalidJSON(path: name, reason: String(describing: error))
        }
    }

    static func parse(_ json: ConfigReader, generation: ConfigReader?) throws -> ModelConfig {
        let path = json.path
        guard let modelType = try json.string("model_type") else {
            throw ModelError.missingConfigKey(path: path, key: "model_type")
        }
        guard let family = ModelFamily(rawValue: modelType) else {
            throw ModelError.unsupportedModelType(modelType)
        }
        if let activation = try json.string("hidden_act"), activation != "silu" {
            throw ModelError.invalidConfigValue(path: path, key: "hidden_act", reason: "must be \"silu\" (SwiGLU experts), got \"\(activation)\"")
        }
        let definition = family.definition
        let defaults = definition.defaults

        let hidden = try json.positiveInt("hidden_size")
        let layers = try json.positiveInt("num_hidden_layers")
        let heads = try json.positiveInt("num_attention_heads")
        let vocab = try json.positiveInt("vocab_size")
        // An explicit null means "same as heads" (transformers' __post_init__); absent means the class default.
        let kvHeads = json.object["num_key_value_heads"] == .null
            ? heads : try json.int("num_key_value_heads") ?? defaults.kvHeads ?? heads
        guard kvHeads > 0 else {
            throw ModelError.invalidConfigValue(path: path, key: "num_key_value_heads", reason: "must be positive, got \(kvHeads)")
        }
        guard heads % kvHeads == 0 else {
            throw ModelError.inconsistentConfig(path: path, reason: "num_attention_heads (\(heads)) is not a multiple of num_key_value_heads (\(kvHeads))")
        }
        let explicitHeadDim = try json.int("head_dim")
        if explicitHeadDim == nil, !definition.latentAttention, hidden % heads != 0 {
            throw ModelError.inconsistentConfig(path: path, reason: "hidden_size (\(hidden)) is not divisible by num_attention_heads (\(heads)) and no head_dim is given")
        }
        let latent = try parseLatentAttention(json, definition: definition)
        // MLA: head_dim is the RoPE part of a head (DeepseekV3Config.__post_init__).
        let headDim = latent?.ropeHeadDim ?? explicitHeadDim ?? hidden / heads
        guard headDim > 0, headDim % 2 == 0 else {
            throw ModelError.invalidConfigValue(path: path, key: "head_dim", reason: "must be a positive even number (RoPE rotates pairs), got \(headDim)")
        }

        let intermediate = try json.positiveInt("intermediate_size", default: defaults.intermediate)
        let expertKeys = ["num_experts", "num_local_experts", "n_routed_experts"]
        let numExperts = try expertKeys.lazy.compactMap { try json.int($0) }.first ?? defaults.numExperts
        let expertKey = expertKeys.first { json.value($0) != nil } ?? "num_experts"
        guard numExperts >= 0, numExperts > 0 || definition.allowsNoExperts else {
            throw ModelError.invalidConfigValue(path: path, key: expertKey, reason: "must be positive, got \(numExperts)")
        }
        let topK = try json.int("num_experts_per_tok", default: defaults.topK)
        if numExperts > 0 {
            guard topK > 0, topK <= numExperts else {
                throw ModelError.inconsistentConfig(path: path, reason: "num_experts_per_tok (\(topK)) must be between 1 and the number of experts (\(numExperts))")
            }
        }
        let moeIntermediate = definition.hasDenseLayers
            ? try json.positiveInt("moe_intermediate_size", default: defaults.moeIntermediate) : intermediate

        let eps = try json.double("rms_norm_eps") ?? defaults.rmsNormEps
        guard eps > 0 else {
            throw ModelError.invalidConfigValue(path: path, key: "rms_norm_eps", reason: "must be positive, got \(eps)")
        }
        let maxPositions = try json.positiveInt("max_position_embeddings", default: defaults.maxPositions)
        let rope = try parseRope(json, family: family, maxPositions: maxPositions)
        let rotaryDim = Int(Double(headDim) * rope.rotaryFactor)
        guard rotaryDim > 0, rotaryDim % 2 == 0, rotaryDim <= headDim else {
            throw ModelError.invalidConfigValue(path: path, key: "partial_rotary_factor", reason: "\(rope.rotaryFactor) of head_dim \(headDim) gives \(rotaryDim) rotary dimensions; RoPE needs a positive even number up to head_dim")
        }
        let tied = try json.bool("tie_word_embeddings", default: false)

        var sparseStep = 1
        var mlpOnly: [Int] = []
        if let firstDenseDefault = definition.firstDenseLayersDefault {
            let dense = try json.int("first_k_dense_replace", default: firstDenseDefault)
            guard dense >= 0 else {
                throw ModelError.invalidConfigValue(path: path, key: "first_k_dense_replace", reason: "must not be negative, got \(dense)")
            }
            mlpOnly = Array(0..<min(dense, layers))
        } else if definition.hasDenseLayers {
            sparseStep = try json.positiveInt("decoder_sparse_step", default: 1)
            mlpOnly = try json.intList("mlp_only_layers") ?? []
            if let bad = mlpOnly.first(where: { $0 < 0 || $0 >= layers }) {
                throw ModelError.invalidConfigValue(path: path, key: "mlp_only_layers", reason: "holds \(bad), outside 0..<\(layers) (num_hidden_layers)")
            }
        }

        let bos = try generation?.int("bos_token_id") ?? json.int("bos_token_id") ?? defaults.bos
        let eos = try generation?.intOrList("eos_token_id") ?? json.intOrList("eos_token_id") ?? defaults.eos

        var dtype = DType.f32
        let dtypeKey = json.value("dtype") != nil ? "dtype" : "torch_dtype"
        if let name = try json.string(dtypeKey) {
            guard let parsed = DType(torchName: name) else {
                throw ModelError.invalidConfigValue(path: path, key: dtypeKey, reason: "\"\(name)\" is not a supported dtype (float32, bfloat16, float16)")
            }
            dtype = parsed
        }

        var config = ModelConfig(
            family: family, hiddenSize: hidden, numLayers: layers, numHeads: heads, numKVHeads: kvHeads,
            headDim: headDim, vocabSize: vocab, intermediateSize: intermediate, moeIntermediateSize: moeIntermediate,
            sharedExpertIntermediateSize: 0, numExperts: numExperts, topK: topK, normTopKProb: false,
            rmsNormEps: Float(eps), ropeTheta: rope.theta, maxPositionEmbeddings: maxPositions,
            tieWordEmbeddings: tied, attentionBias: false, outputBias: false, qkNorm: .none,
            decoderSparseStep: sparseStep, mlpOnlyLayers: mlpOnly, bosTokenID: bos, eosTokenIDs: eos, dtype: dtype,
            rotaryDim: rotaryDim, latentAttention: latent,
            // yarn_apply_mscale: MLA also scales the softmax by mscale(factor, mscale_all_dim)^2.
            attentionScaleFactor: definition.latentAttention ? Float(rope.yarn?.softmaxMscale ?? 1) : 1,
            ropeYaRN: rope.yarn?.yarn
        )
        config.ropeScaling = rope.llama3
        try definition.parseQuirks(json, into: &config)
        return config
    }

    /// `rope_theta`, `partial_rotary_factor` and the scaling from `rope_parameters` / `rope_scaling`
    /// or the top level (transformers' priority): default RoPE, Llama 3's, or YaRN where the family's
    /// transformers code honours it; every other RoPE type, and partial rotary in families whose
    /// transformers code rotates whole heads, is rejected.
    private static func parseRope(
        _ json: ConfigReader, family: ModelFamily, maxPositions: Int
    ) throws -> (theta: Double, rotaryFactor: Double, llama3: RopeScaling?, yarn: YaRNScaling?) {
        let definition = family.definition
        let scalingKey = json.value("rope_scaling") != nil ? "rope_scaling" : "rope_parameters"
        let parameters = try json.object(scalingKey)
        var llama3: RopeScaling?
        var yarn: YaRNScaling?
        if let parameters {
            let type = try parameters.string("rope_type") ?? parameters.string("type") ?? "default"
            switch type {
            case "default", "none": break
            case "llama3": llama3 = try llama3Scaling(parameters)
            case "yarn" where definition.supportsYaRN:
                yarn = try parseYaRN(parameters, maxPositions: maxPositions)
            default:
                let supported = definition.supportsYaRN ? "\"default\", \"llama3\" and \"yarn\"" : "\"default\" and \"llama3\""
                throw ModelError.unsupportedRope(path: json.path, reason: "\(scalingKey).rope_type \"\(type)\" is not implemented (only \(supported))")
            }
        }
        let factor = try parameters?.double("partial_rotary_factor") ?? json.double("partial_rotary_factor")
            ?? definition.defaultPartialRotaryFactor
        guard factor > 0, factor <= 1 else {
            throw ModelError.invalidConfigValue(path: json.path, key: "partial_rotary_factor", reason: "must be in (0, 1], got \(factor)")
        }
        if factor != 1, !definition.supportsPartialRotary {
            throw ModelError.unsupportedRope(path: json.path, reason: "partial_rotary_factor \(factor) is not implemented for \(family.rawValue) (only 1)")
        }
        let theta = try parameters?.double("rope_theta") ?? json.double("rope_theta") ?? definition.defaults.ropeTheta
        guard theta > 0 else {
            throw ModelError.invalidConfigValue(path: json.path, key: "rope_theta", reason: "must be positive, got \(theta)")
        }
        return (theta, factor, llama3, yarn)
    }

    /// Llama 3's RoPE scaling keys (all required, as transformers' validation requires them).
    private static func llama3Scaling(_ parameters: ConfigReader) throws -> RopeScaling {
        func required(_ key: String) throws -> Double {
            guard let value = try parameters.double(key) else { throw ModelError.missingConfigKey(path: parameters.path, key: key) }
            guard value > 0 else {
                throw ModelError.invalidConfigValue(path: parameters.path, key: key, reason: "must be positive, got \(value)")
            }
            return value
        }
        let scaling = RopeScaling(
            factor: try required("factor"), lowFrequencyFactor: try required("low_freq_factor"),
            highFrequencyFactor: try required("high_freq_factor"),
            originalMaxPositions: try parameters.positiveInt("original_max_position_embeddings"))
        guard scaling.highFrequencyFactor > scaling.lowFrequencyFactor else {
            throw ModelError.inconsistentConfig(path: parameters.path, reason: "high_freq_factor (\(scaling.highFrequencyFactor)) must exceed low_freq_factor (\(scaling.lowFrequencyFactor))")
        }
        return scaling
    }
}

extension ConfigReader {
    /// `sliding_window` as a size, nil when absent, null or 0.
    func slidingWindowSize() throws -> Int? {
        guard let size = try int("sliding_window"), size != 0 else { return nil }
        guard size > 0 else {
            throw ModelError.invalidConfigValue(path: path, key: "sliding_window", reason: "must be positive, got \(size)")
        }
        return size
    }
}
