import SwitchyardTensor

/// Every weight of a model except the FFN experts: what the router process holds (embeddings,
/// attention, norms, gates, head). Immutable after construction; shared by all engine steps.
public final class RouterWeights: @unchecked Sendable {
    public let config: ModelConfig
    /// `[vocab, hidden]`.
    public let embed: Matrix
    /// One entry per decoder layer.
    public let layers: [Layer]
    /// `1 x hidden`.
    public let finalNorm: Matrix
    /// `[vocab, hidden]`, packed for the product. With tied embeddings it is a packed copy of `embed`
    /// (the lookup reads rows of `embed`; the product reads panels).
    public let head: any LinearWeight

    /// Assembles weights, checking every shape against `config`, and packs the head.
    public convenience init(config: ModelConfig, embed: Matrix, layers: [Layer], finalNorm: Matrix, head: Matrix) throws {
        try Self.check("lm_head.weight", head, [config.vocabSize, config.hiddenSize])
        try self.init(config: config, embed: embed, layers: layers, finalNorm: finalNorm, head: PackedWeight(head))
    }

    /// Assembles weights with the head packed already, checking every shape against `config`.
    public init(config: ModelConfig, embed: Matrix, layers: [Layer], finalNorm: Matrix, head: any LinearWeight) throws {
        try Self.check("model.embed_tokens.weight", embed, [config.vocabSize, config.hiddenSize])
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

    /// Bytes of weights held (a tied head's packed copy included).
    public var byteCount: Int {
        (embed.count + finalNorm.count) * MemoryLayout<Float>.stride + head.byteCount
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
