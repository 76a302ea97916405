/// The shape of the served model that decides which ids and sizes a message may carry.
///
/// Both sides build it from the checkpoint's config: the router to check replies and
/// registrations, a worker to check dispatches and assignments.
public struct ModelLimits: Sendable, Equatable, CustomStringConvertible {
    /// Decoder layers; valid layer ids are `0..<layers`.
    public let layers: Int
    /// Expert slots per layer, counting routed experts plus shared experts / the dense FFN the
    /// model hosts on workers; valid expert ids are `0..<expertsPerLayer`.
    public let expertsPerLayer: Int
    /// Elements per row.
    public let hiddenSize: Int
    /// Most rows one dispatch may carry: the largest legal batch of tokens times the experts a
    /// token selects (top-k plus always-selected experts).
    public let maxRows: Int

    /// Largest values accepted, so that every size computed from the limits fits comfortably.
    public static let maxLayers = 1 << 16
    public static let maxExpertsPerLayer = 1 << 16
    public static let maxHiddenSize = 1 << 20
    public static let maxMaxRows = 1 << 22

    /// Checks every field is in `1...` its cap and throws ``ModelLimitsError`` naming the bad one.
    public init(layers: Int, expertsPerLayer: Int, hiddenSize: Int, maxRows: Int) throws(ModelLimitsError) {
        try Self.check("layers", layers, cap: Self.maxLayers)
        try Self.check("expertsPerLayer", expertsPerLayer, cap: Self.maxExpertsPerLayer)
        try Self.check("hiddenSize", hiddenSize, cap: Self.maxHiddenSize)
        try Self.check("maxRows", maxRows, cap: Self.maxMaxRows)
        guard maxRows * hiddenSize * 4 <= 1 << 34 else {
            throw ModelLimitsError(message: "maxRows \(maxRows) x hiddenSize \(hiddenSize) x 4 bytes exceeds 16 GiB")
        }
        self.layers = layers
        self.expertsPerLayer = expertsPerLayer
        self.hiddenSize = hiddenSize
        self.maxRows = maxRows
    }

    private static func check(_ name: String, _ value: Int, cap: Int) throws(ModelLimitsError) {
        guard value >= 1, value <= cap else {
            throw ModelLimitsError(message: "\(name) must be in 1...\(cap), got \(value)")
        }
    }

    public var description: String {
        "ModelLimits(layers: \(layers), experts/layer: \(expertsPerLayer), hidden: \(hiddenSize), max rows: \(maxRows))"
    }
}

/// A ``ModelLimits`` field out of range.
public struct ModelLimitsError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { "invalid model limits: \(message)" }
}
