/// Why a set of frames is not a valid Switchyard message (or a message cannot be encoded).
///
/// Every case maps to a ``DropReason`` for the drop counter; `description` is the log line.
public enum WireError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Fewer frames than `kind` needs (nil: not even frame 0 and frame 1).
    case missingFrames(kind: MessageKind?, expected: Int, actual: Int)
    /// More frames than `kind` allows.
    case extraFrames(kind: MessageKind, expected: Int, actual: Int)
    /// Frame 0 is not 8 bytes long.
    case badProtocolHeader(length: Int)
    /// Frame 0 does not start with "SWYD".
    case badMagic([UInt8])
    /// The peer speaks protocol version `peer`, this build speaks `ours`.
    case wrongVersion(peer: UInt16, ours: UInt16)
    /// Frame 0 names a kind this build does not know.
    case unknownKind(UInt16)
    /// Frame 1 does not parse as the protobuf of `kind`.
    case badProtobuf(kind: MessageKind, detail: String)
    /// A header field is missing or inconsistent; the text names it.
    case invalidField(String)
    /// The rows frame has `actual` bytes where the header implies `expected`.
    case tensorSizeMismatch(expected: Int, actual: Int)
    /// Segment row counts add up to `segments` but the header says `totalRows`.
    case segmentSumMismatch(segments: Int, totalRows: Int)
    /// A `what` id (layer, expert, token slot) of `value` outside `0..<bound`.
    case idOutOfRange(what: String, value: Int, bound: Int)
    /// A message, frame or row count of `size` above `limit`; `what` names which.
    case oversize(what: String, size: Int, limit: Int)

    /// The counter label of this error.
    public var reason: DropReason {
        switch self {
        case .missingFrames: .missingFrames
        case .extraFrames: .extraFrames
        case .badProtocolHeader: .badProtocolHeader
        case .badMagic: .badMagic
        case .wrongVersion: .wrongVersion
        case .unknownKind: .unknownKind
        case .badProtobuf: .badProtobuf
        case .invalidField: .invalidField
        case .tensorSizeMismatch: .tensorSizeMismatch
        case .segmentSumMismatch: .segmentSumMismatch
        case .idOutOfRange: .idOutOfRange
        case .oversize: .oversize
        }
    }

    public var description: String {
        switch self {
        case .missingFrames(let kind, let expected, let actual):
            if let kind {
                return "truncated \(kind) message: \(actual) frames, expected \(expected)"
            }
            return "truncated message: \(actual) frames, expected at least \(expected)"
        case .extraFrames(let kind, let expected, let actual):
            return "\(kind) message has \(actual) frames, expected \(expected)"
        case .badProtocolHeader(let length):
            return "protocol header frame is \(length) bytes, expected \(WireFormat.protocolHeaderSize)"
        case .badMagic(let bytes):
            let hex = bytes.map { byte in
                let digits = String(byte, radix: 16)
                return digits.count == 1 ? "0" + digits : digits
            }.joined(separator: " ")
            return "bad magic \(hex), expected 53 57 59 44 (\"SWYD\"): not a Switchyard peer"
        case .wrongVersion(let peer, let ours):
            return "peer speaks Switchyard wire protocol version \(peer), this build speaks version \(ours)"
        case .unknownKind(let raw):
            return "unknown message kind \(raw)"
        case .badProtobuf(let kind, let detail):
            return "\(kind) header is not valid protobuf: \(detail)"
        case .invalidField(let text):
            return "invalid field: \(text)"
        case .tensorSizeMismatch(let expected, let actual):
            return "rows frame is \(actual) bytes, header implies \(expected)"
        case .segmentSumMismatch(let segments, let totalRows):
            return "segment row counts sum to \(segments), header says total rows \(totalRows)"
        case .idOutOfRange(let what, let value, let bound):
            return "\(what) \(value) out of range 0..<\(bound)"
        case .oversize(let what, let size, let limit):
            return "\(what) \(size) exceeds the limit \(limit)"
        }
    }
}
