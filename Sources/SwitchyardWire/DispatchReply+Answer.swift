extension Switchyard_V1_DispatchReply {
    /// An OK reply to `dispatch` carrying `dispatch.tokenCount` rows of `dtype`.
    public static func answering(
        _ dispatch: Switchyard_V1_DispatchHeader,
        dtype: Switchyard_V1_DType = .f32,
        computeMicros: UInt64
    ) -> Switchyard_V1_DispatchReply {
        var reply = Self.echoing(dispatch)
        reply.status = .ok
        reply.rows = dispatch.tokenCount
        reply.dtype = dtype
        reply.computeMicros = computeMicros
        return reply
    }

    /// An ERROR reply to `dispatch`; `error` is cut to ``WireLimits/maxTextBytes`` bytes.
    public static func failure(answering dispatch: Switchyard_V1_DispatchHeader, error: String) -> Switchyard_V1_DispatchReply {
        var reply = Self.echoing(dispatch)
        reply.status = .error
        reply.rows = 0
        reply.error = WireText.truncated(error)
        return reply
    }

    private static func echoing(_ dispatch: Switchyard_V1_DispatchHeader) -> Switchyard_V1_DispatchReply {
        var reply = Switchyard_V1_DispatchReply()
        reply.dispatchID = dispatch.dispatchID
        reply.step = dispatch.step
        reply.microBatch = dispatch.microBatch
        reply.layer = dispatch.layer
        reply.hiddenSize = dispatch.hiddenSize
        reply.dtype = dispatch.dtype
        return reply
    }

    /// Whether this reply answers `dispatch`: same ids, and for OK one row per token slot of the
    /// dispatch's hidden size. The router drops a reply failing this as an unknown dispatch.
    public func answers(_ dispatch: Switchyard_V1_DispatchHeader) -> Bool {
        guard dispatchID == dispatch.dispatchID, step == dispatch.step,
              microBatch == dispatch.microBatch, layer == dispatch.layer else { return false }
        if status == .ok {
            return rows == dispatch.tokenCount && hiddenSize == dispatch.hiddenSize
        }
        return true
    }
}
