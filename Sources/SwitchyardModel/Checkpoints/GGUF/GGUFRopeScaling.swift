/// `{arch}.rope.scaling.*` values (all optional; absent keys stay nil).
public struct GGUFRopeScaling: Sendable, Equatable {
    /// "none", "linear", "yarn", "longrope".
    public var type: String?
    public var factor: Double?
    public var attentionFactor: Double?
    public var originalContextLength: Int?
    public var finetuned: Bool?
    public var yarnLogMultiplier: Double?
    public var yarnBetaFast: Double?
    public var yarnBetaSlow: Double?

    public init() {}

    init(metadata m: GGUFMetadata, prefix p: String) throws {
        type = try m.string("\(p).rope.scaling.type")
        factor = try m.double("\(p).rope.scaling.factor")
        attentionFactor = try m.double("\(p).rope.scaling.attn_factor")
        originalContextLength = try m.int("\(p).rope.scaling.original_context_length")
        finetuned = try m.bool("\(p).rope.scaling.finetuned")
        yarnLogMultiplier = try m.double("\(p).rope.scaling.yarn_log_multiplier")
        yarnBetaFast = try m.double("\(p).rope.scaling.yarn_beta_fast")
        yarnBetaSlow = try m.double("\(p).rope.scaling.yarn_beta_slow")
    }
}
