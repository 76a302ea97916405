/// Model hyperparameters read from `general.architecture` and the `{arch}.*` keys.
///
/// Defaults follow llama.cpp: `head_count_kv` = `head_count`, `key_length` =
/// `value_length` = embedding / heads, `rope.dimension_count` = `key_length`,
/// `rope.freq_base` = 10000. Per-layer arrays are accepted only when uniform.
public struct GGUFModelInfo: Sendable, Equatable {
    public var architecture: GGUFArchitecture
    public var name: String?
    public var contextLength: Int
    public var embeddingLength: Int
    public var blockCount: Int
    /// Dense FFN width (also the dense layers of MoE models); nil if absent.
    public var feedForwardLength: Int?
    /// Per-expert FFN width; for Mixtral-style `llama` this is `feed_forward_length`.
    public var expertFeedForwardLength: Int?
    public var expertSharedFeedForwardLength: Int?
    public var headCount: Int
    public var headCountKV: Int
    public var keyLength: Int
    public var valueLength: Int
    public var rmsNormEpsilon: Double
    public var ropeFreqBase: Double
    public var ropeDimensionCount: Int
    public var ropeScaling: GGUFRopeScaling
    /// 0 for dense models.
    public var expertCount: Int
    public var expertUsedCount: Int
    public var expertSharedCount: Int
    /// `{arch}.expert_weights_norm`: renormalise the top-k routing weights.
    public var expertWeightsNorm: Bool?
    public var expertWeightsScale: Double?
    /// `{arch}.expert_gating_func`: 1 softmax, 2 sigmoid.
    public var expertGatingFunction: Int?
    /// Leading dense (non-MoE) layers (deepseek2, glm4moe).
    public var leadingDenseBlockCount: Int
    /// MLA ranks (deepseek2).
    public var qLoraRank: Int?
    public var kvLoraRank: Int?
    public var slidingWindow: Int?
    /// Length of `tokenizer.ggml.tokens`, else `{arch}.vocab_size`.
    public var vocabSize: Int
    /// True when there is no `output.weight` tensor (the LM head reuses `token_embd.weight`).
    public var tiedEmbeddings: Bool

    public var isMoE: Bool { expertCount > 0 }

    /// Reads the hyperparameters; `tensorNames` decides `tiedEmbeddings`.
    public init(metadata m: GGUFMetadata, tensorNames: Set<String>) throws {
        let arch = try GGUFArchitecture.from(m)
        let p = arch.rawValue
        func invalid(_ key: String, _ why: String) -> GGUFError {
            GGUFError(.invalidValue, file: m.file, key: key, why)
        }
        func positive(_ key: String, _ v: Int) throws -> Int {
            guard v > 0 else { throw invalid(key, "must be positive, found \(v)") }
            return v
        }
        architecture = arch
        name = try m.string("general.name")
        contextLength = try positive("\(p).context_length", m.requireInt("\(p).context_length"))
        embeddingLength = try positive("\(p).embedding_length", m.requireInt("\(p).embedding_length"))
        blockCount = try positive("\(p).block_count", m.requireInt("\(p).block_count"))
        feedForwardLength = try m.uniformInt("\(p).feed_forward_length")
        headCount = try positive("\(p).attention.head_count",
                                 m.uniformInt("\(p).attention.head_count") ?? { throw m.missing("\(p).attention.head_count") }())
        headCountKV = try positive("\(p).attention.head_count_kv", m.uniformInt("\(p).attention.head_count_kv") ?? headCount)
        guard headCount % headCountKV == 0 else {
            throw invalid("\(p).attention.head_count_kv", "head_count \(headCount) is not a multiple of head_count_kv \(headCountKV)")
        }
        keyLength = try positive("\(p).attention.key_length", m.int("\(p).attention.key_length") ?? embeddingLength / headCount)
        valueLength = try positive("\(p).attention.value_length", m.int("\(p).attention.value_length") ?? embeddingLength / headCount)
        rmsNormEpsilon = try m.requireDouble("\(p).attention.layer_norm_rms_epsilon")
        ropeFreqBase = try m.double("\(p).rope.freq_base") ?? 10000
        ropeDimensionCount = try m.int("\(p).rope.dimension_count") ?? keyLength
        ropeScaling = try GGUFRopeScaling(metadata: m, prefix: p)
        expertCount = try m.int("\(p).expert_count") ?? 0
        expertUsedCount = try m.int("\(p).expert_used_count") ?? 0
        expertSharedCount = try m.int("\(p).expert_shared_count") ?? 0
        expertFeedForwardLength = try m.int("\(p).expert_feed_forward_length")
        expertSharedFeedForwardLength = try m.int("\(p).expert_shared_feed_forward_length")
        expertWeightsNorm = try m.bool("\(p).expert_weights_norm")
        expertWeightsScale = try m.double("\(p).expert_weights_scale")
        expertGatingFunction = try m.int("\(p).expert_gating_func")
        leadingDenseBlockCount = try m.int("\(p).leading_dense_block_count") ?? 0
        qLoraRank = try m.int("\(p).attention.q_lora_rank")
        kvLoraRank = try m.int("\(p).attention.kv_lora_rank")
        slidingWindow = try m.int("\(p).attention.sliding_window")
        if arch == .llama && expertCount > 0 && expertFeedForwardLength == nil {
            expertFeedForwardLength = feedForwardLength
        }
        if expertCount > 0 {
            guard expertUsedCount > 0, expertUsedCount <= expertCount else {
                throw invalid("\(p).expert_used_count", "must be in 1...\(expertCount) (expert_count), found \(expertUsedCount)")
            }
            guard expertFeedForwardLength != nil else { throw m.missing("\(p).expert_feed_forward_length") }
        } else {
            guard expertCount == 0, expertUsedCount == 0 else {
                throw invalid("\(p).expert_count", "expert_count \(expertCount) with expert_used_count \(expertUsedCount) is inconsistent")
            }
            guard feedForwardLength != nil else { throw m.missing("\(p).feed_forward_length") }
        }
        if let tokens = m["tokenizer.ggml.tokens"]?.arrayValues {
            vocabSize = tokens.count
        } else if let v = try m.int("\(p).vocab_size") {
            vocabSize = v
        } else {
            throw m.missing("tokenizer.ggml.tokens")
        }
        tiedEmbeddings = !tensorNames.contains("output.weight")
    }

    /// Hyperparameters of a single file.
    public init(file: GGUFFile) throws {
        try self.init(metadata: file.metadata, tensorNames: Set(file.tensorNames))
    }

    /// Hyperparameters of a (possibly split) model.
    public init(model: GGUFModelFiles) throws {
        try self.init(metadata: model.metadata, tensorNames: Set(model.tensorNames))
    }
}
