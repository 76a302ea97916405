extension Switchyard_V1_DispatchHeader {
    /// The worker's half of combine: adds `gateWeights[r] * expertOutputs[r]` into row
    /// `tokenSlots[r]` of `output` for every row `r`, so the reply carries one row per token.
    ///
    /// `expertOutputs` is `totalRows x hiddenSize` in the dispatch's row order; `output` is
    /// `tokenCount x hiddenSize` and is added into (zero it first for a fresh reply). The header
    /// must have passed decoding (slots and counts are trusted; sizes are checked).
    public func combineRows(
        _ expertOutputs: UnsafeBufferPointer<Float>,
        into output: UnsafeMutableBufferPointer<Float>
    ) throws(WireError) {
        let hidden = Int(hiddenSize)
        let rows = Int(totalRows)
        let inputBytes = TensorShape.byteCount(rows: rows, hidden: hidden, elementSize: 4) ?? Int.max
        guard expertOutputs.count * 4 == inputBytes else {
            throw .tensorSizeMismatch(expected: inputBytes, actual: expertOutputs.count * 4)
        }
        let outputBytes = TensorShape.byteCount(rows: Int(tokenCount), hidden: hidden, elementSize: 4) ?? Int.max
        guard output.count * 4 == outputBytes else {
            throw .tensorSizeMismatch(expected: outputBytes, actual: output.count * 4)
        }
        guard gateWeights.count == rows, tokenSlots.count == rows else {
            throw .invalidField("\(gateWeights.count) gate weights and \(tokenSlots.count) slots for \(rows) rows")
        }
        guard rows > 0, let source = expertOutputs.baseAddress, let out = output.baseAddress else { return }
        for row in 0..<rows {
            let slot = Int(tokenSlots[row])
            guard slot < Int(tokenCount) else {
                throw .idOutOfRange(what: "token slot", value: slot, bound: Int(tokenCount))
            }
            let weight = gateWeights[row]
            let from = source + row * hidden
            let to = out + slot * hidden
            for i in 0..<hidden { to[i] += weight * from[i] }
        }
    }
}
