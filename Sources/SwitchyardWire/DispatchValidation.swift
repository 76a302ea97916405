/// Checks of dispatch and reply headers against their rows frame and against the model.
///
/// `checkShape` is what any sender and receiver can check (internal consistency); `checkLimits`
/// needs the model's ``ModelLimits``. Both run without allocating.
enum DispatchValidation {
    static func checkShape(_ header: Switchyard_V1_DispatchHeader, rowsBytes: Int) throws(WireError) {
        guard let elementSize = header.dtype.elementSize else {
            throw .invalidField("dispatch dtype \(header.dtype.wireName), expected f32 or bf16")
        }
        guard header.hiddenSize >= 1 else { throw .invalidField("dispatch hidden size is 0") }
        let totalRows = Int(header.totalRows)
        guard totalRows >= 1 else { throw .invalidField("dispatch carries no rows") }
        guard !header.segments.isEmpty else { throw .invalidField("dispatch has no segments") }
        var sum = 0
        var previousExpert = -1
        for segment in header.segments {
            let expert = Int(segment.expert)
            guard expert > previousExpert else {
                throw .invalidField("segment experts must be strictly increasing, got \(expert) after \(previousExpert)")
            }
            guard segment.rows >= 1 else { throw .invalidField("segment of expert \(expert) has 0 rows") }
            previousExpert = expert
            sum += Int(segment.rows)
        }
        guard sum == totalRows else { throw .segmentSumMismatch(segments: sum, totalRows: totalRows) }
        guard header.gateWeights.count == totalRows else {
            throw .invalidField("\(header.gateWeights.count) gate weights for \(totalRows) rows")
        }
        guard header.tokenSlots.count == totalRows else {
            throw .invalidField("\(header.tokenSlots.count) token slots for \(totalRows) rows")
        }
        let tokenCount = Int(header.tokenCount)
        guard tokenCount >= 1, tokenCount <= totalRows else {
            throw .invalidField("token count \(tokenCount) not in 1...\(totalRows) (total rows)")
        }
        for slot in header.tokenSlots where Int(slot) >= tokenCount {
            throw .idOutOfRange(what: "token slot", value: Int(slot), bound: tokenCount)
        }
        for weight in header.gateWeights where !weight.isFinite {
            throw .invalidField("gate weight \(weight) is not finite")
        }
        guard let expected = TensorShape.byteCount(rows: totalRows, hidden: Int(header.hiddenSize), elementSize: elementSize) else {
            throw .invalidField("dispatch of \(totalRows) rows x \(header.hiddenSize) elements overflows")
        }
        guard rowsBytes == expected else { throw .tensorSizeMismatch(expected: expected, actual: rowsBytes) }
    }

    static func checkLimits(_ header: Switchyard_V1_DispatchHeader, _ limits: ModelLimits) throws(WireError) {
        guard Int(header.hiddenSize) == limits.hiddenSize else {
            throw .invalidField("dispatch hidden size \(header.hiddenSize), model has \(limits.hiddenSize)")
        }
        guard Int(header.totalRows) <= limits.maxRows else {
            throw .oversize(what: "dispatch rows", size: Int(header.totalRows), limit: limits.maxRows)
        }
        guard Int(header.layer) < limits.layers else {
            throw .idOutOfRange(what: "layer", value: Int(header.layer), bound: limits.layers)
        }
        for segment in header.segments where Int(segment.expert) >= limits.expertsPerLayer {
            throw .idOutOfRange(what: "expert", value: Int(segment.expert), bound: limits.expertsPerLayer)
        }
    }

    /// `rowsBytes` is nil when the reply has no rows frame.
    static func checkShape(_ reply: Switchyard_V1_DispatchReply, rowsBytes: Int?) throws(WireError) {
        switch reply.status {
        case .ok:
            guard let elementSize = reply.dtype.elementSize else {
                throw .invalidField("reply dtype \(reply.dtype.wireName), expected f32 or bf16")
            }
            guard reply.hiddenSize >= 1 else { throw .invalidField("reply hidden size is 0") }
            guard reply.rows >= 1 else { throw .invalidField("OK reply carries no rows") }
            guard let rowsBytes else {
                throw .missingFrames(kind: .reply, expected: 3, actual: 2)
            }
            guard let expected = TensorShape.byteCount(rows: Int(reply.rows), hidden: Int(reply.hiddenSize), elementSize: elementSize) else {
                throw .invalidField("reply of \(reply.rows) rows x \(reply.hiddenSize) elements overflows")
            }
            guard rowsBytes == expected else { throw .tensorSizeMismatch(expected: expected, actual: rowsBytes) }
        case .error:
            guard reply.rows == 0 else { throw .invalidField("ERROR reply says \(reply.rows) rows, expected 0") }
            if rowsBytes != nil { throw .extraFrames(kind: .reply, expected: 2, actual: 3) }
        default:
            throw .invalidField("reply status \(reply.status), expected OK or ERROR")
        }
    }

    static func checkLimits(_ reply: Switchyard_V1_DispatchReply, _ limits: ModelLimits) throws(WireError) {
        if reply.status == .ok, Int(reply.hiddenSize) != limits.hiddenSize {
            throw .invalidField("reply hidden size \(reply.hiddenSize), model has \(limits.hiddenSize)")
        }
        guard Int(reply.rows) <= limits.maxRows else {
            throw .oversize(what: "reply rows", size: Int(reply.rows), limit: limits.maxRows)
        }
        guard Int(reply.layer) < limits.layers else {
            throw .idOutOfRange(what: "layer", value: Int(reply.layer), bound: limits.layers)
        }
    }
}
