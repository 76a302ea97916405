import SwitchyardTensor
/// The rows one MoE layer routes to one worker, packed by ``RowPacker``: ready to become a
/// dispatch message, and able to add the worker's reply back into token order.
public struct WorkerDispatch: Sendable {
    /// Index of the worker in the owner map given to the packer.
    public let worker: Int
    /// Elements per row.
    public let hiddenSize: Int
    /// (expert, row count) in increasing expert order; rows of one expert are consecutive.
    public let segments: [Switchyard_V1_Segment]
    /// Gate weight of every row, in row order.
    public let gateWeights: [Float]
    /// Output slot of every row, in row order.
    public let tokenSlots: [UInt32]
    /// Token (row of the router's batch) of every output slot: reply row `s` adds into
    /// token `slotTokens[s]`. Slots follow token order.
    public let slotTokens: [Int32]
    /// `totalRows x hiddenSize` rows of `dtype`, grouped by expert.
    public let rows: TensorBytes
    /// The element type of `rows` (f32 or bf16); workers reply in the same type.
    public var dtype: Switchyard_V1_DType = .f32

    /// Rows sent (one per selected (token, expert) pair owned by this worker).
    public var totalRows: Int { gateWeights.count }
    /// Rows the reply carries (one per token touching this worker).
    public var tokenCount: Int { slotTokens.count }

    /// The protobuf header of this dispatch.
    public func header(dispatchID: UInt64, step: UInt64, microBatch: UInt32, layer: UInt32) -> Switchyard_V1_DispatchHeader {
        var header = Switchyard_V1_DispatchHeader()
        header.dispatchID = dispatchID
        header.step = step
        header.microBatch = microBatch
        header.layer = layer
        header.segments = segments
        header.dtype = dtype
        header.hiddenSize = UInt32(hiddenSize)
        header.totalRows = UInt32(totalRows)
        header.gateWeights = gateWeights
        header.tokenSlots = tokenSlots
        header.tokenCount = UInt32(tokenCount)
        return header
    }

    /// The message to send.
    public func message(dispatchID: UInt64, step: UInt64, microBatch: UInt32, layer: UInt32) -> WireMessage {
        .dispatch(header(dispatchID: dispatchID, step: step, microBatch: microBatch, layer: layer), rows: rows)
    }

    /// Adds the reply's rows (`tokenCount x hiddenSize` of `dtype`, slot order) into `output`,
    /// the router's `tokens x hiddenSize` buffer, at the rows of their tokens.
    ///
    /// Replies of several workers add into the same buffer in whatever order they arrive; each
    /// call touches only this dispatch's tokens.
    public func combine(
        reply: TensorBytes,
        dtype: Switchyard_V1_DType,
        into output: UnsafeMutableBufferPointer<Float>
    ) throws(WireError) {
        guard let elementSize = dtype.elementSize else {
            throw .invalidField("reply dtype \(dtype.wireName), expected f32 or bf16")
        }
        let hidden = hiddenSize
        let expected = tokenCount * hidden * elementSize
        guard reply.count == expected else { throw .tensorSizeMismatch(expected: expected, actual: reply.count) }
        let outputTokens = output.count / hidden
        guard let out = output.baseAddress else {
            if tokenCount == 0 { return }
            throw .invalidField("empty output buffer for \(tokenCount) reply rows")
        }
        for token in slotTokens where Int(token) >= outputTokens {
            throw .idOutOfRange(what: "output token", value: Int(token), bound: outputTokens)
        }
        reply.withUnsafeBytes { source in
            for (slot, token) in slotTokens.enumerated() {
                let destination = out + Int(token) * hidden
                let rowStart = slot * hidden * elementSize
                if dtype == .bf16 {
                    DTypeConversion.addBF16(source.baseAddress! + rowStart, into: destination, count: hidden)
                } else {
                    DTypeConversion.addF32(source.baseAddress! + rowStart, into: destination, count: hidden)
                }
            }
        }
    }
}
