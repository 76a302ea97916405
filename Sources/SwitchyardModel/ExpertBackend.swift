import SwitchyardTensor

/// Which FFN experts each row of a layer's FFN input goes to, and with what weight.
///
/// Every FFN is an expert: a layer's routed experts are ids `0..<numExperts`; a shared expert
/// (qwen2_moe) is id `numExperts`, weighted by `sigmoid(shared_expert_gate(x))`; the dense MLP of a
/// non-sparse layer is id 0 with weight 1. Row `r` uses the slots `r * slotsPerRow ..< (r+1) * slotsPerRow`
/// of `expertIDs` and `weights`; a slot with id -1 is unused.
public struct ExpertRoutes: Sendable {
    /// Rows routed (tokens in the micro-batch).
    public var rows: Int
    /// Slots per row: top-k, plus one when the layer has a shared expert.
    public var slotsPerRow: Int
    /// `rows * slotsPerRow` expert ids, -1 for an unused slot.
    public var expertIDs: [Int32]
    /// `rows * slotsPerRow` weights matching `expertIDs`.
    public var weights: [Float]

    public init(rows: Int, slotsPerRow: Int, expertIDs: [Int32], weights: [Float]) {
        precondition(expertIDs.count == rows * slotsPerRow && weights.count == rows * slotsPerRow,
                     "routes need rows * slotsPerRow ids and weights")
        self.rows = rows
        self.slotsPerRow = slotsPerRow
        self.expertIDs = expertIDs
        self.weights = weights
    }
}

/// The seam between the engine and wherever experts run (DESIGN.md: the expert backend).
///
/// The in-process backend computes experts locally; the remote backend dispatches rows to
/// workers over ZeroMQ and gathers their replies. Both must give the same numbers up to float
/// rounding, so the engine's outputs do not depend on where experts run.
public protocol ExpertBackend: AnyObject, Sendable {
    /// Computes, for every row `r` of `input` (`routes.rows x hidden`),
    /// `output[r] = Σ_s routes.weights[r,s] · FFN(layer, routes.expertIDs[r,s])(input[r])`.
    ///
    /// `output` has the same shape as `input` and is overwritten. `microBatch` identifies which of
    /// the micro-batches in flight this call belongs to (two may be in flight at once).
    func computeFFN(layer: Int, microBatch: Int, input: Matrix, routes: ExpertRoutes, output: Matrix) async throws
}
