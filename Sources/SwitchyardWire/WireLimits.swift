/// Size caps derived from ``ModelLimits``: the MAXMSGSIZE both sides set on their sockets and the
/// largest protobuf header a legal message needs.
public enum WireLimits {
    /// Longest error or refusal text a sender should put in a message; ``headerSlack`` covers it.
    public static let maxTextBytes = 1024
    /// Room for ids, strings and field tags on top of what scales with the model.
    public static let headerSlack = 8192

    /// Largest legal protobuf header (frame 1) for any message kind.
    ///
    /// A dispatch header needs 4 bytes of gate weight and at most 5 of token slot per row, and at
    /// most 14 bytes per segment; a control message at most 20 bytes per (layer, expert) pair
    /// (an assignment may list every expert twice, load and drop) plus 5 per pinned expert.
    public static func maxHeaderBytes(for limits: ModelLimits) -> Int {
        let dispatch = 9 * limits.maxRows + 14 * min(limits.expertsPerLayer, limits.maxRows)
        let control = 20 * limits.layers * limits.expertsPerLayer + 5 * limits.expertsPerLayer
        return max(dispatch, control) + headerSlack
    }

    /// Largest legal message: the biggest dispatch (max rows x hidden x 4 bytes as f32) plus frame 0
    /// and the largest header. Set it as ZMQ_MAXMSGSIZE (libzmq checks each frame against it, and
    /// no legal frame is larger) and drop anything bigger.
    public static func maxMessageBytes(for limits: ModelLimits) -> Int {
        limits.maxRows * limits.hiddenSize * 4 + WireFormat.protocolHeaderSize + maxHeaderBytes(for: limits)
    }
}
