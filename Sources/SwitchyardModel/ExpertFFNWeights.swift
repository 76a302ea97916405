import SwitchyardTensor

/// The weights of one FFN expert in f32, nn.Linear layout (`[out, in]`):
/// `FFN(x) = down · act(gate · x + gateBias, up · x + upBias) + downBias` (biases: gpt_oss only).
public struct ExpertFFNWeights: Sendable {
    /// `[intermediate, hidden]`.
    public var gate: Matrix
    /// `[intermediate, hidden]`.
    public var up: Matrix
    /// `[hidden, intermediate]`.
    public var down: Matrix
    /// `intermediate` values each, when the expert has biases.
    public var gateBias: [Float]?
    public var upBias: [Float]?
    /// `hidden` values, when the expert has biases.
    public var downBias: [Float]?

    public init(gate: Matrix, up: Matrix, down: Matrix, gateBias: [Float]? = nil, upBias: [Float]? = nil, downBias: [Float]? = nil) {
        precondition(gate.rows == up.rows && gate.cols == up.cols, "gate and up must have the same shape")
        precondition(down.rows == gate.cols && down.cols == gate.rows, "down must be the transpose shape of gate")
        precondition((gateBias == nil) == (upBias == nil) && (gateBias == nil) == (downBias == nil), "biases come all or none")
        precondition(gateBias.map { $0.count == gate.rows } ?? true && upBias.map { $0.count == gate.rows } ?? true
                     && downBias.map { $0.count == gate.cols } ?? true, "bias sizes must match the projections")
        self.gate = gate
        self.up = up
        self.down = down
        self.gateBias = gateBias
        self.upBias = upBias
        self.downBias = downBias
    }

    /// The intermediate size.
    public var intermediateSize: Int { gate.rows }
    /// The hidden size.
    public var hiddenSize: Int { gate.cols }
    /// The gate-up product's `2I` biases (gate's, then up's), nil without biases.
    public var gateUpBias: [Float]? { gateBias.flatMap { gate in upBias.map { gate + $0 } } }
}
