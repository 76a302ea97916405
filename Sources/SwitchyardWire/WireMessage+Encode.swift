import SwiftProtobuf

extension WireMessage {
    /// The frames of this message (see ``WireFormat``): protocol header, protobuf header and, for
    /// a dispatch or OK reply, the rows frame by reference (not copied).
    ///
    /// Checks the same internal consistency the decoder checks (rows frame size, segment sums,
    /// per-row arrays, reply status), so a bug in the sender fails here, not on the far side.
    /// Model-specific ranges are the receiver's to check.
    public func encode() throws(WireError) -> [FrameBytes] {
        let header = FrameBytes.inline(ProtocolHeader(kind: kind).bytes)
        switch self {
        case .register(let message): return [header, try Self.serialize(message, kind)]
        case .welcome(let message): return [header, try Self.serialize(message, kind)]
        case .refusal(let message): return [header, try Self.serialize(message, kind)]
        case .assignment(let message): return [header, try Self.serialize(message, kind)]
        case .assignmentAck(let message): return [header, try Self.serialize(message, kind)]
        case .heartbeat(let message): return [header, try Self.serialize(message, kind)]
        case .disconnect(let message): return [header, try Self.serialize(message, kind)]
        case .drain(let message): return [header, try Self.serialize(message, kind)]
        case .dispatch(let message, let rows):
            try DispatchValidation.checkShape(message, rowsBytes: rows.count)
            return [header, try Self.serialize(message, kind), .tensor(rows)]
        case .reply(let message, let rows):
            try DispatchValidation.checkShape(message, rowsBytes: rows?.count)
            var frames = [header, try Self.serialize(message, kind)]
            if let rows { frames.append(.tensor(rows)) }
            return frames
        }
    }

    private static func serialize(_ message: some SwiftProtobuf.Message, _ kind: MessageKind) throws(WireError) -> FrameBytes {
        do {
            let bytes: [UInt8] = try message.serializedBytes()
            return .inline(bytes)
        } catch {
            throw .badProtobuf(kind: kind, detail: "cannot serialize: \(error)")
        }
    }
}
