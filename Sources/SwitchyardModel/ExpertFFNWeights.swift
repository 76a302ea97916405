import SwitchyardTensor

/// The SwiGLU weights of one FFN expert in f32, nn.Linear layout (`[out, in]`):
/// `FFN(x) = down · (silu(gate · x) * (up · x))`.
public struct ExpertFFNWeights: Sendable {
    /// `[intermediate, hidden]`.
    public var gate: Matrix
    /// `[intermediate, hidden]`.
    public var up: Matrix
    /// `[hidden, intermediate]`.
    public var down: Matrix

    public init(gate: Matrix, up: Matrix, down: Matrix) {
        precondition(gate.rows == up.rows && gate.cols == up.cols, "gate and up must have the same shape")
        precondition(down.rows == gate.cols && down.cols == gate.rows, "down must be the transpose shape of gate")
        self.gate = gate
        self.up = up
        self.down = down
    }

    /// The intermediate size.
    public var intermediateSize: Int { gate.rows }
    /// The hidden size.
    public var hiddenSize: Int { gate.cols }
}
