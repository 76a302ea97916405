import SwiftProtobuf

/// Turns received frames into a ``WireMessage``, or a ``WireError`` saying why they must be
/// dropped. Pure: no I/O, no logging, no state; one decoder can be shared by any number of threads.
///
/// Checks run cheapest first: frame 0 (magic, version, kind), total size against
/// ``WireLimits/maxMessageBytes(for:)``, frame count, protobuf, then the header against its rows
/// frame and the model's ``ModelLimits``. The rows frame is never copied: the decoded message
/// refers to the received bytes.
public struct WireDecoder: Sendable {
    /// The model the peer must agree with.
    public let limits: ModelLimits
    /// Messages above this many bytes are refused as oversize.
    public let maxMessageBytes: Int
    /// Protobuf headers above this many bytes are refused as oversize.
    public let maxHeaderBytes: Int

    public init(limits: ModelLimits) {
        self.limits = limits
        self.maxMessageBytes = WireLimits.maxMessageBytes(for: limits)
        self.maxHeaderBytes = WireLimits.maxHeaderBytes(for: limits)
    }

    /// Decodes and validates one message. `frames` excludes the ROUTER routing-id frame.
    public func decode(_ frames: [FrameBytes]) throws(WireError) -> WireMessage {
        guard let first = frames.first else { throw .missingFrames(kind: nil, expected: 2, actual: 0) }
        let kind = try first.withUnsafeBytes { (bytes) throws(WireError) in try ProtocolHeader.parse(bytes) }.kind

        var total = 0
        for frame in frames { total += frame.count }
        guard total <= maxMessageBytes else {
            throw .oversize(what: "\(kind) message bytes", size: total, limit: maxMessageBytes)
        }
        try Self.checkFrameCount(kind: kind, count: frames.count)
        let headerFrame = frames[WireFormat.protobufFrameIndex]
        guard headerFrame.count <= maxHeaderBytes else {
            throw .oversize(what: "\(kind) header bytes", size: headerFrame.count, limit: maxHeaderBytes)
        }

        switch kind {
        case .register:
            let message = try Self.parse(Switchyard_V1_Register.self, headerFrame, kind)
            try ControlValidation.check(message, limits)
            return .register(message)
        case .welcome:
            let message = try Self.parse(Switchyard_V1_Welcome.self, headerFrame, kind)
            try ControlValidation.check(message)
            return .welcome(message)
        case .refusal:
            return .refusal(try Self.parse(Switchyard_V1_Refusal.self, headerFrame, kind))
        case .assignment:
            let message = try Self.parse(Switchyard_V1_Assignment.self, headerFrame, kind)
            try ControlValidation.check(message, limits)
            return .assignment(message)
        case .assignmentAck:
            let message = try Self.parse(Switchyard_V1_AssignmentAck.self, headerFrame, kind)
            try ControlValidation.check(message, limits)
            return .assignmentAck(message)
        case .heartbeat:
            return .heartbeat(try Self.parse(Switchyard_V1_Heartbeat.self, headerFrame, kind))
        case .disconnect:
            return .disconnect(try Self.parse(Switchyard_V1_Disconnect.self, headerFrame, kind))
        case .drain:
            let message = try Self.parse(Switchyard_V1_Drain.self, headerFrame, kind)
            try ControlValidation.check(message)
            return .drain(message)
        case .dispatch:
            let header = try Self.parse(Switchyard_V1_DispatchHeader.self, headerFrame, kind)
            let rowsFrame = frames[WireFormat.rowsFrameIndex]
            try DispatchValidation.checkLimits(header, limits)
            try DispatchValidation.checkShape(header, rowsBytes: rowsFrame.count)
            return .dispatch(header, rows: rowsFrame.tensorBytes)
        case .reply:
            let header = try Self.parse(Switchyard_V1_DispatchReply.self, headerFrame, kind)
            let rowsFrame = frames.count > WireFormat.rowsFrameIndex ? frames[WireFormat.rowsFrameIndex] : nil
            try DispatchValidation.checkLimits(header, limits)
            try DispatchValidation.checkShape(header, rowsBytes: rowsFrame?.count)
            return .reply(header, rows: rowsFrame?.tensorBytes)
        }
    }

    /// Control: exactly 2. Dispatch: exactly 3. Reply: 2 or 3 (the status decides, checked later).
    static func checkFrameCount(kind: MessageKind, count: Int) throws(WireError) {
        let range: ClosedRange<Int> = switch kind {
        case .dispatch: 3...3
        case .reply: 2...3
        default: 2...2
        }
        if count < range.lowerBound {
            throw .missingFrames(kind: kind, expected: range.lowerBound, actual: count)
        }
        if count > range.upperBound {
            throw .extraFrames(kind: kind, expected: range.upperBound, actual: count)
        }
    }

    static func parse<M: SwiftProtobuf.Message>(_ type: M.Type, _ frame: FrameBytes, _ kind: MessageKind) throws(WireError) -> M {
        do {
            return try frame.withUnsafeBytes { bytes in
                try M(serializedBytes: RawSpan(_unsafeBytes: bytes))
            }
        } catch {
            throw .badProtobuf(kind: kind, detail: "\(error)")
        }
    }
}
