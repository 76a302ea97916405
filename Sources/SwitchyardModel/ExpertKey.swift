/// One FFN expert of one layer: the unit of placement between router and workers.
///
/// Ids follow `ExpertRoutes`: routed experts `0..<numExperts`, qwen2_moe's shared expert
/// `numExperts`, a non-sparse layer's dense MLP `0`.
public struct ExpertKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var layer: Int
    public var expert: Int

    public init(layer: Int, expert: Int) {
        self.layer = layer
        self.expert = expert
    }

    public static func < (lhs: ExpertKey, rhs: ExpertKey) -> Bool {
        (lhs.layer, lhs.expert) < (rhs.layer, rhs.expert)
    }

    public var description: String { "L\(layer)E\(expert)" }
}
