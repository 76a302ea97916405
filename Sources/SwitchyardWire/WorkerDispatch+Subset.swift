extension WorkerDispatch {
    /// The experts this dispatch carries rows for, in segment (increasing) order.
    public var experts: [UInt32] { segments.map(\.expert) }

    /// The part of this dispatch that goes to `experts` (a subset of ``experts``), as a dispatch of
    /// its own whose reply combines into the same tokens: rows, gate weights and segments of those
    /// experts, token slots renumbered densely in token order.
    ///
    /// Used when a dispatch must be re-sent to other holders (its worker died, refused or timed out)
    /// and no single holder has all its experts. Copies the rows; the whole set returns `self`.
    /// Returns nil when `experts` names none of this dispatch's experts.
    public func subset(experts wanted: Set<UInt32>, worker newWorker: Int? = nil) -> WorkerDispatch? {
        let kept = segments.filter { wanted.contains($0.expert) }
        guard !kept.isEmpty else { return nil }
        if kept.count == segments.count {
            return WorkerDispatch(worker: newWorker ?? worker, hiddenSize: hiddenSize, segments: segments, gateWeights: gateWeights,
                                  tokenSlots: tokenSlots, slotTokens: slotTokens, rows: rows, dtype: dtype)
        }
        // Row ranges of the kept segments in the original row order.
        var ranges: [Range<Int>] = []
        var start = 0
        for segment in segments {
            let end = start + Int(segment.rows)
            if wanted.contains(segment.expert) { ranges.append(start ..< end) }
            start = end
        }
        let rowCount = ranges.reduce(0) { $0 + $1.count }
        // Old slot -> new slot, in increasing old-slot order (old slots follow token order).
        var usedSlots = [Bool](repeating: false, count: slotTokens.count)
        for range in ranges { for row in range { usedSlots[Int(tokenSlots[row])] = true } }
        var newSlot = [UInt32](repeating: 0, count: slotTokens.count)
        var newSlotTokens: [Int32] = []
        for (slot, used) in usedSlots.enumerated() where used {
            newSlot[slot] = UInt32(newSlotTokens.count)
            newSlotTokens.append(slotTokens[slot])
        }
        var gates: [Float] = []
        var slots: [UInt32] = []
        gates.reserveCapacity(rowCount)
        slots.reserveCapacity(rowCount)
        let rowBytes = hiddenSize * (dtype.elementSize ?? 4)
        let storage = ByteStorage(count: rowCount * rowBytes)
        var written = 0
        rows.withUnsafeBytes { source in
            for range in ranges {
                for row in range {
                    gates.append(gateWeights[row])
                    slots.append(newSlot[Int(tokenSlots[row])])
                }
                let bytes = range.count * rowBytes
                (storage.baseAddress + written).copyMemory(from: source.baseAddress! + range.lowerBound * rowBytes, byteCount: bytes)
                written += bytes
            }
        }
        return WorkerDispatch(worker: newWorker ?? worker, hiddenSize: hiddenSize, segments: kept, gateWeights: gates, tokenSlots: slots,
                              slotTokens: newSlotTokens, rows: TensorBytes(owner: storage, baseAddress: storage.baseAddress, count: storage.count),
                              dtype: dtype)
    }
}
