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
        guard expertOutputs.count == rows * hidden else {
            throw .tensorSizeMismatch(expected: rows * hidden * 4, actual: expertOutputs.count * 4)
        }
        guard output.count == Int(tokenCount) * hidden else {
            throw .tensorSizeMismatch(expected: Int(tokenCount) * hidden * 4, actual: output.count * 4)
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
