import SwitchyardTensor

/// One gated expert ready for grouped compute: gate and up fused into one `[2I, H]` weight so a
/// group of rows needs one matmul for both, then `down` `[H, I]`; optional biases on both products
/// and the family's activation (`FFN(x) = down · act(gate · x + bg, up · x + bu) + bd`).
public final class ExpertFFN: @unchecked Sendable {
    /// `[2 * intermediate, hidden]`: the gate rows, then the up rows.
    public let gateUp: any LinearWeight
    /// `[hidden, intermediate]`.
    public let down: any LinearWeight
    /// `2 * intermediate` biases of the gate-up product (gate's, then up's), when the expert has them.
    public let gateUpBias: [Float]?
    /// `hidden` biases of the down product, when the expert has them.
    public let downBias: [Float]?
    public let activation: ExpertActivation
    public let intermediateSize: Int
    public let hiddenSize: Int

    /// An expert from weights already in their compute format (packed f32 or blocks): `gateUp` `[2I, H]` (gate rows, then up rows) and
    /// `down` `[H, I]`, with optional biases of `2I` and `H` values.
    public init(gateUp: any LinearWeight, down: any LinearWeight, gateUpBias: [Float]? = nil, downBias: [Float]? = nil,
                activation: ExpertActivation = .swiglu) {
        precondition(gateUp.rows % 2 == 0 && down.rows == gateUp.cols && down.cols == gateUp.rows / 2,
                     "gate-up must be [2I, H] and down [H, I]")
        precondition(gateUpBias.map { $0.count == gateUp.rows } ?? true && downBias.map { $0.count == down.rows } ?? true,
                     "biases must have 2I and H values")
        self.gateUp = gateUp
        self.down = down
        self.gateUpBias = gateUpBias
        self.downBias = downBias
        self.activation = activation
        intermediateSize = down.cols
        hiddenSize = down.rows
    }

    public convenience init(_ weights: ExpertFFNWeights, activation: ExpertActivation = .swiglu) {
        self.init(gateUp: PackedWeight(stacking: [weights.gate, weights.up]), down: PackedWeight(weights.down),
                  gateUpBias: weights.gateUpBias, downBias: weights.downBias, activation: activation)
    }

    /// Computes `output[r] = FFN(input[r])` for `rows` contiguous rows (leading dimension `hiddenSize`).
    /// `hidden` needs `rows * 2I` floats and `activated` `rows * I`. Both products use `threads`
    /// threads (callers computing experts concurrently pass 1), by default the BLAS thread count.
    @inline(__always)
    public func compute(
        input: UnsafePointer<Float>, rows: Int, output: UnsafeMutablePointer<Float>,
        hidden: UnsafeMutablePointer<Float>, activated: UnsafeMutablePointer<Float>, threads: Int? = nil
    ) {
        let i = intermediateSize
        let threads = threads ?? BLAS.threadCount
        gateUp.multiply(m: rows, a: input, lda: hiddenSize, c: hidden, ldc: 2 * i, threads: threads)
        if let gateUpBias { VectorOps.addBias(gateUpBias, to: hidden, rows: rows, cols: 2 * i, ldx: 2 * i) }
        activation.apply(gate: hidden, up: hidden + i, ldIn: 2 * i, output: activated, ldOut: i, rows: rows, cols: i)
        down.multiply(m: rows, a: activated, lda: i, c: output, ldc: hiddenSize, threads: threads)
        if let downBias { VectorOps.addBias(downBias, to: output, rows: rows, cols: hiddenSize, ldx: hiddenSize) }
    }

    /// Part `index` of `count` of this expert: intermediate rows `index * I / count ..< (index + 1) * I / count`
    /// of gate and up, the same columns of down, and the down bias on part 0 only, so the parts'
    /// outputs add up to the whole expert's (up to float rounding). Copies; `I` must divide by
    /// `count`, and a block format's cut must fall on its blocks.
    public func slice(_ index: Int, of count: Int) throws -> ExpertFFN {
        let i = intermediateSize
        guard count >= 1, index >= 0, index < count, i % count == 0 else {
            throw ModelError.invalidSlice("slice \(index) of \(count) of an expert with intermediate size \(i)")
        }
        guard count > 1 else { return self }
        let width = i / count
        let rows = (index * width)..<((index + 1) * width)
        return ExpertFFN(
            gateUp: try gateUp.sliced(rows: [rows, (i + rows.lowerBound)..<(i + rows.upperBound)], columns: 0..<hiddenSize),
            down: try down.sliced(rows: [0..<hiddenSize], columns: rows),
            gateUpBias: gateUpBias.map { Array($0[rows]) + Array($0[(i + rows.lowerBound)..<(i + rows.upperBound)]) },
            downBias: index == 0 ? downBias : nil, activation: activation)
    }

    /// Bytes of weights held.
    public var byteCount: Int {
        gateUp.byteCount + down.byteCount + ((gateUpBias?.count ?? 0) + (downBias?.count ?? 0)) * MemoryLayout<Float>.stride
    }
}
