import Foundation
import SwitchyardTensor

extension ModelConfig {
    /// Loads `config.json` (and `generation_config.json` when present) from a model directory.
    ///
    /// Defaults follow the transformers configuration class of each family; the keys no real
    /// checkpoint omits (`model_type`, `hidden_size`, `num_hidden_layers`, `num_attention_heads`,
    /// `vocab_size`) are required, because defaulting them yields a model that only fails later.
    public static func load(directory: URL) throws -> ModelConfig {
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
        let defaults = FamilyDefaults(family)

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
        if explicitHeadDim == nil, family.latentAttention == false, hidden % heads != 0 {
            throw ModelError.inconsistentConfig(path: path, reason: "hidden_size (\(hidden)) is not divisible by num_attention_heads (\(heads)) and no head_dim is given")
        }
        let latent = try parseLatentAttention(json, family: family)
        // deepseek: head_dim is the RoPE part of a head (DeepseekV3Config.__post_init__).
        let headDim = latent?.ropeHeadDim ?? explicitHeadDim ?? hidden / heads
        guard headDim > 0, headDim % 2 == 0 else {
            throw ModelError.invalidConfigValue(path: path, key: "head_dim", reason: "must be a positive even number (RoPE rotates pairs), got \(headDim)")
        }
        if family == .olmoe, heads * headDim != hidden {
            throw ModelError.inconsistentConfig(path: path, reason: "olmoe normalises the full q projection with a norm of hidden_size: num_attention_heads * head_dim (\(heads * headDim)) must equal hidden_size (\(hidden))")
        }

        let intermediate = try json.positiveInt("intermediate_size", default: defaults.intermediate)
        let expertKeys = ["num_experts", "num_local_experts", "n_routed_experts"]
        let numExperts = try expertKeys.lazy.compactMap { try json.int($0) }.first ?? defaults.numExperts
        let expertKey = expertKeys.first { json.value($0) != nil } ?? "num_experts"
        guard numExperts >= 0, numExperts > 0 || family.hasDenseLayers else {
            throw ModelError.invalidConfigValue(path: path, key: expertKey, reason: "must be positive, got \(numExperts)")
        }
        let topK = try json.int("num_experts_per_tok", default: defaults.topK)
        if numExperts > 0 {
            guard topK > 0, topK <= numExperts else {
                throw ModelError.inconsistentConfig(path: path, reason: "num_experts_per_tok (\(topK)) must be between 1 and the number of experts (\(numExperts))")
            }
        }
        let moeIntermediate = family.hasDenseLayers
            ? try json.positiveInt("moe_intermediate_size", default: defaults.moeIntermediate) : intermediate
        let shared: Int
        switch family {
        case .qwen2_moe:
            shared = try json.int("shared_expert_intermediate_size", default: 5632)
            guard shared >= 0 else {
                throw ModelError.invalidConfigValue(path: path, key: "shared_expert_intermediate_size", reason: "must not be negative, got \(shared)")
            }
        case .glm4_moe, .deepseek_v2, .deepseek_v3:
            let count = try json.int("n_shared_experts", default: family == .deepseek_v2 ? 2 : 1)
            guard count >= 0 else {
                throw ModelError.invalidConfigValue(path: path, key: "n_shared_experts", reason: "must not be negative, got \(count)")
            }
            shared = count * moeIntermediate
        default:
            shared = 0
        }
        // deepseek_v2's router never renormalises, whatever norm_topk_prob says.
        let normTopK = family == .mixtral ? true
            : family == .deepseek_v2 ? false : try json.bool("norm_topk_prob", default: defaults.normTopK)
        let routing = try parseRouting(json, family: family, experts: numExperts, topK: topK)

        let eps = try json.double("rms_norm_eps") ?? defaults.rmsNormEps
        guard eps > 0 else {
            throw ModelError.invalidConfigValue(path: path, key: "rms_norm_eps", reason: "must be positive, got \(eps)")
        }
        let maxPositions = try json.positiveInt("max_position_embeddings", default: defaults.maxPositions)
        let (ropeTheta, rotaryFactor, rope) = try parseRope(json, family: family, maxPositions: maxPositions)
        let rotaryDim = Int(Double(headDim) * rotaryFactor)
        guard rotaryDim > 0, rotaryDim % 2 == 0, rotaryDim <= headDim else {
            throw ModelError.invalidConfigValue(path: path, key: "partial_rotary_factor", reason: "\(rotaryFactor) of head_dim \(headDim) gives \(rotaryDim) rotary dimensions; RoPE needs a positive even number up to head_dim")
        }
        let tied = try json.bool("tie_word_embeddings", default: false)

        var sparseStep = 1
        var mlpOnly: [Int] = []
        if family.hasFirstDenseLayers {
            let dense = try json.int("first_k_dense_replace", default: defaults.firstDense)
            guard dense >= 0 else {
                throw ModelError.invalidConfigValue(path: path, key: "first_k_dense_replace", reason: "must not be negative, got \(dense)")
            }
            mlpOnly = Array(0..<min(dense, layers))
        } else if family.hasDenseLayers {
            sparseStep = try json.positiveInt("decoder_sparse_step", default: 1)
            mlpOnly = try json.intList("mlp_only_layers") ?? []
            if let bad = mlpOnly.first(where: { $0 < 0 || $0 >= layers }) {
                throw ModelError.invalidConfigValue(path: path, key: "mlp_only_layers", reason: "holds \(bad), outside 0..<\(layers) (num_hidden_layers)")
            }
        }

        let (window, windowLayers) = try parseSlidingWindow(json, family: family, layers: layers)

        let attentionBias: Bool
        let outputBias: Bool
        switch family {
        case .mixtral: (attentionBias, outputBias) = (false, false)
        case .qwen2_moe: (attentionBias, outputBias) = (try json.bool("qkv_bias", default: true), false)
        case .qwen3_moe, .olmoe:
            let bias = try json.bool("attention_bias", default: false)
            (attentionBias, outputBias) = (bias, bias)
        case .glm4_moe:
            (attentionBias, outputBias) = (try json.bool("attention_bias", default: false), false)
        case .deepseek_v2, .deepseek_v3:
            let bias = try json.bool("attention_bias", default: false)
            (attentionBias, outputBias) = (bias, bias)
            if try json.bool("mlp_bias", default: false) {
                throw ModelError.invalidConfigValue(path: path, key: "mlp_bias", reason: "true is not supported (experts are bias-free SwiGLU)")
            }
        }
        let qkNorm: QKNorm = switch family {
        case .mixtral, .qwen2_moe: .none
        case .qwen3_moe: .perHead
        case .olmoe: .full
        case .glm4_moe: try json.bool("use_qk_norm", default: false) ? .perHead : .none
        case .deepseek_v2, .deepseek_v3: .none
        }
        var clip: Float?
        if family == .olmoe, let value = try json.double("clip_qkv") {
            guard value > 0 else {
                throw ModelError.invalidConfigValue(path: path, key: "clip_qkv", reason: "must be positive, got \(value)")
            }
            clip = Float(value)
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

        let interleaved = try family == .deepseek_v2 || (family == .deepseek_v3 && json.bool("rope_interleave", default: true))
        return ModelConfig(
            family: family, hiddenSize: hidden, numLayers: layers, numHeads: heads, numKVHeads: kvHeads,
            headDim: headDim, vocabSize: vocab, intermediateSize: intermediate, moeIntermediateSize: moeIntermediate,
            sharedExpertIntermediateSize: shared, numExperts: numExperts, topK: topK, normTopKProb: normTopK,
            rmsNormEps: Float(eps), ropeTheta: ropeTheta, maxPositionEmbeddings: maxPositions,
            tieWordEmbeddings: tied, slidingWindow: window, slidingWindowLayers: windowLayers,
            attentionBias: attentionBias, outputBias: outputBias, qkNorm: qkNorm, clipQKV: clip,
            decoderSparseStep: sparseStep, mlpOnlyLayers: mlpOnly, bosTokenID: bos, eosTokenIDs: eos, dtype: dtype,
            rotaryDim: rotaryDim, scoringFunction: routing.scoring, scoreCorrectionBias: routing.correctionBias,
            expertGroups: routing.groups, topKGroups: routing.topKGroups, groupScore: routing.groupScore,
            routedScalingFactor: routing.scaling, sharedExpertGated: family == .qwen2_moe || shared == 0,
            latentAttention: latent,
            ropeInterleaved: interleaved,
            // yarn_apply_mscale: MLA also scales the softmax by mscale(factor, mscale_all_dim)^2.
            attentionScaleFactor: family.latentAttention ? Float(rope?.softmaxMscale ?? 1) : 1,
            ropeYaRN: rope?.yarn
        )
    }

    /// `rope_theta` and `partial_rotary_factor` from `rope_parameters` / `rope_scaling` or the top
    /// level (transformers' priority), rejecting every RoPE type but the default and partial rotary
    /// in families whose transformers code rotates whole heads.
    private static func parseRope(
        _ json: ConfigReader, family: ModelFamily, maxPositions: Int
    ) throws -> (theta: Double, rotaryFactor: Double, scaling: RopeScaling?) {
        let scalingKey = json.value("rope_scaling") != nil ? "rope_scaling" : "rope_parameters"
        let parameters = try json.object(scalingKey)
        var scaling: RopeScaling?
        if let parameters {
            let type = try parameters.string("rope_type") ?? parameters.string("type") ?? "default"
            switch type {
            case "default", "none":
                break
            case "yarn" where family.supportsYaRN:
                scaling = try parseYaRN(parameters, maxPositions: maxPositions)
            default:
                let supported = family.supportsYaRN ? "\"default\", \"yarn\"" : "\"default\""
                throw ModelError.unsupportedRope(path: json.path, reason: "\(scalingKey).rope_type \"\(type)\" is not implemented (only \(supported))")
            }
        }
        let factor = try parameters?.double("partial_rotary_factor") ?? json.double("partial_rotary_factor")
            ?? family.defaultPartialRotaryFactor
        guard factor > 0, factor <= 1 else {
            throw ModelError.invalidConfigValue(path: json.path, key: "partial_rotary_factor", reason: "must be in (0, 1], got \(factor)")
        }
        if factor != 1, !family.supportsPartialRotary {
            throw ModelError.unsupportedRope(path: json.path, reason: "partial_rotary_factor \(factor) is not implemented for \(family.rawValue) (only 1)")
        }
        let theta = try parameters?.double("rope_theta") ?? json.double("rope_theta") ?? family.defaultRopeTheta
        guard theta > 0 else {
            throw ModelError.invalidConfigValue(path: json.path, key: "rope_theta", reason: "must be positive, got \(theta)")
        }
        return (theta, factor, scaling)
    }

    /// The sliding window and the layers it applies to, per family semantics.
    private static func parseSlidingWindow(_ json: ConfigReader, family: ModelFamily, layers: Int) throws -> (Int?, [Int]?) {
        func window() throws -> Int? {
            guard let size = try json.int("sliding_window"), size != 0 else { return nil }
            guard size > 0 else {
                throw ModelError.invalidConfigValue(path: json.path, key: "sliding_window", reason: "must be positive, got \(size)")
            }
            return size
        }
        switch family {
        case .olmoe, .glm4_moe, .deepseek_v2, .deepseek_v3:
            return (nil, nil)
        case .mixtral:
            return (try window(), nil)
        case .qwen3_moe:
            return try json.bool("use_sliding_window", default: false) ? (try window(), nil) : (nil, nil)
        case .qwen2_moe:
            guard try json.bool("use_sliding_window", default: false), let size = try window() else { return (nil, nil) }
            let types: [String]
            if let given = try json.stringList("layer_types") {
                guard given.count == layers else {
                    throw ModelError.inconsistentConfig(path: json.path, reason: "layer_types has \(given.count) entries for \(layers) layers")
                }
                types = given
            } else {
                let maxWindowLayers = try json.int("max_window_layers", default: 28)
                types = (0..<layers).map { ($0 + 1) % 2 == 1 && $0 < maxWindowLayers ? "sliding_attention" : "full_attention" }
            }
            return (size, types.indices.filter { types[$0] == "sliding_attention" })
        }
    }
}

extension ModelFamily {
    /// Whether the family can have dense-MLP layers (`decoder_sparse_step`, `mlp_only_layers`).
    var hasDenseLayers: Bool { self == .qwen2_moe || self == .qwen3_moe || hasFirstDenseLayers }

    /// Whether the family's first `first_k_dense_replace` layers are dense.
    var hasFirstDenseLayers: Bool { self == .glm4_moe || latentAttention }

    /// Whether the family's transformers code honours `rope_type: "yarn"`.
    var supportsYaRN: Bool { latentAttention }

    /// Whether the family uses multi-head latent attention.
    var latentAttention: Bool { self == .deepseek_v2 || self == .deepseek_v3 }

    /// Whether the family's transformers code honours `partial_rotary_factor`.
    var supportsPartialRotary: Bool { self == .glm4_moe }

    /// The `partial_rotary_factor` transformers assumes when a config gives none.
    var defaultPartialRotaryFactor: Double { self == .glm4_moe ? 0.5 : 1 }
}

/// transformers' configuration-class defaults of each family.
struct FamilyDefaults {
    var intermediate: Int
    var moeIntermediate: Int
    var numExperts: Int
    var topK: Int
    var kvHeads: Int?
    var rmsNormEps: Double
    var maxPositions: Int
    var bos: Int?
    var eos: [Int]
    var normTopK = false
    var firstDense = 1

    init(_ family: ModelFamily) {
        switch family {
        case .mixtral:
            self.init(intermediate: 14336, moeIntermediate: 14336, numExperts: 8, topK: 2, kvHeads: 8,
                      rmsNormEps: 1e-5, maxPositions: 4096 * 32, bos: 1, eos: [2])
        case .qwen2_moe:
            self.init(intermediate: 5632, moeIntermediate: 1408, numExperts: 60, topK: 4, kvHeads: 16,
                      rmsNormEps: 1e-6, maxPositions: 32768, bos: nil, eos: [])
        case .qwen3_moe:
            self.init(intermediate: 6144, moeIntermediate: 768, numExperts: 128, topK: 8, kvHeads: 4,
                      rmsNormEps: 1e-6, maxPositions: 32768, bos: nil, eos: [])
        case .olmoe:
            self.init(intermediate: 2048, moeIntermediate: 2048, numExperts: 64, topK: 8, kvHeads: nil,
                      rmsNormEps: 1e-5, maxPositions: 4096, bos: nil, eos: [50279])
        case .glm4_moe:
            self.init(intermediate: 10944, moeIntermediate: 1408, numExperts: 128, topK: 8, kvHeads: 8,
                      rmsNormEps: 1e-5, maxPositions: 131072, bos: nil, eos: [])
            normTopK = true
        case .deepseek_v2:
            self.init(intermediate: 11008, moeIntermediate: 1407, numExperts: 64, topK: 6, kvHeads: nil,
                      rmsNormEps: 1e-6, maxPositions: 2048, bos: 1, eos: [2])
            firstDense = 0
        case .deepseek_v3:
            self.init(intermediate: 18432, moeIntermediate: 2048, numExperts: 256, topK: 8, kvHeads: nil,
                      rmsNormEps: 1e-6, maxPositions: 4096, bos: 0, eos: [1])
            normTopK = true
            firstDense = 3
        }
    }

    init(intermediate: Int, moeIntermediate: Int, numExperts: Int, topK: Int, kvHeads: Int?, rmsNormEps: Double,
         maxPositions: Int, bos: Int?, eos: [Int]) {
        self.intermediate = intermediate
        self.moeIntermediate = moeIntermediate
        self.numExperts = numExperts
        self.topK = topK
        self.kvHeads = kvHeads
        self.rmsNormEps = rmsNormEps
        self.maxPositions = maxPositions
        self.bos = bos
        self.eos = eos
    }
}
