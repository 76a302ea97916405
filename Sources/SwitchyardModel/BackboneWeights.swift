import SwitchyardTensor

/// Every weight of a model except the FFNs (experts, shared experts, dense layers' MLPs): the
/// backbone the router process holds (embeddings, attention, norms, gates, head). Named for what it
/// is rather than for the process: in MoE the "router" is also the gate. Immutable after
/// construction; shared by all engine steps.
public final class BackboneWeights: @unchecked Sendable {
    public let config: ModelConfig
    /// `[vocab, hidden]`: f32, or compact when the checkpoint stores it compact and `--dtype` is `auto`.
    public let embed: EmbeddingTable
    /// One entry per decoder layer.
    public let layers: [Layer]
    /// `1 x hidden`.
    public let finalNorm: Matrix
    /// `[vocab, hidden]`, packed for the product. With tied embeddings it is a packed copy of an f32
    /// `embed` (the lookup reads rows of `embed`; the product reads panels), or a compact `embed`'s
    /// own weight.
    public let head: any LinearWeight

    /// Assembles weights, checking every shape against `config`, and packs the head.
    public convenience init(config: ModelConfig, embed: Matrix, layers: [Layer], finalNorm: Matrix, head: Matrix) throws {
        try Self.check("lm_head.weight", head, [config.vocabSize, config.hiddenSize])
        try self.init(config: config, embed: .f32(embed), layers: layers, finalNorm: finalNorm, head: PackedWeight(head))
    }

    /// Assembles weights with an f32 embedding table and the head packed already.
    public convenience init(config: ModelConfig, embed: Matrix, layers: [Layer], finalNorm: Matrix, head: any LinearWeight) throws {
        try self.init(config: config, embed: .f32(embed), layers: layers, finalNorm: finalNorm, head: head)
    }

    /// Assembles weights with the head packed already, checking every shape against `config`.
    public init(config: ModelConfig, embed: EmbeddingTable, layers: [Layer], finalNorm: Matrix, head: any LinearWeight) throws {
        guard embed.rows == config.vocabSize, embed.cols == config.hiddenSize else {
            throw EngineError.weightShape(name: "model.embed_tokens.weight", expected: [config.vocabSize, config.hiddenSize],
                                          actual: [embed.rows, embed.cols])
        }
        try Self.check("model.norm.weight", finalNorm, [1, config.hiddenSize])
        try Self.check("lm_head.weight", head, [config.vocabSize, config.hiddenSize])
        guard layers.count == config.numLayers else {
            throw EngineError.shapeMismatch("\(layers.count) layers of weights for a model of \(config.numLayers)")
        }
        self.config = config
        self.embed = embed
        self.layers = layers
        self.finalNorm = finalNorm
        self.head = head
    }

    /// Bytes of weights held (a tied head's packed copy included, a head that is the compact
    /// table itself counted once).
    public var byteCount: Int {
        let sharedHead: Bool = if case let .compact(table) = embed { table === head } else { false }
        return embed.byteCount + finalNorm.count * MemoryLayout<Float>.stride + (sharedHead ? 0 : head.byteCount)
            + layers.reduce(0) { $0 + $1.byteCount }
    }

    static func check(_ name: String, _ m: Matrix, _ shape: [Int]) throws {
        guard m.rows == shape[0], m.cols == shape[1] else {
            throw EngineError.weightShape(name: name, expected: shape, actual: [m.rows, m.cols])
        }
    }

    static func check(_ name: String, _ w: any LinearWeight, _ shape: [Int]) throws {
        guard w.rows == shape[0], w.cols == shape[1] else {
            throw EngineError.weightShape(name: name, expected: shape, actual: [w.rows, w.cols])
        }
    }
}
