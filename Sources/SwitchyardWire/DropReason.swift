/// Why an incoming message was dropped: the label of the drop counter in `/metrics` and the
/// category of a ``WireError``. The router and worker shells add the reasons only they can see
/// (unknown peer, unknown dispatch, a kind the receiver does not expect).
public enum DropReason: String, Sendable, CaseIterable, CustomStringConvertible {
    case missingFrames = "missing_frames"
    case extraFrames = "extra_frames"
    case badProtocolHeader = "bad_protocol_header"
    case badMagic = "bad_magic"
    case wrongVersion = "wrong_version"
    case unknownKind = "unknown_kind"
    case badProtobuf = "bad_protobuf"
    case invalidField = "invalid_field"
    case tensorSizeMismatch = "tensor_size_mismatch"
    case segmentSumMismatch = "segment_sum_mismatch"
    case idOutOfRange = "id_out_of_range"
    case oversize = "oversize"
    case unexpectedKind = "unexpected_kind"
    case unknownPeer = "unknown_peer"
    case unknownDispatch = "unknown_dispatch"
    case rateLimited = "rate_limited"

    /// The metrics label value (snake_case).
    public var label: String { rawValue }

    /// One line for logs saying what the reason means.
    public var explanation: String {
        switch self {
        case .missingFrames: "fewer frames than the message kind needs (truncated message)"
        case .extraFrames: "more frames than the message kind allows"
        case .badProtocolHeader: "frame 0 is not the 8-byte protocol header"
        case .badMagic: "frame 0 does not start with magic \"SWYD\" (not a Switchyard peer)"
        case .wrongVersion: "the peer speaks another protocol version"
        case .unknownKind: "frame 0 names a message kind this build does not know"
        case .badProtobuf: "frame 1 is not a valid protobuf of the message kind"
        case .invalidField: "a header field is missing, inconsistent or of the wrong model"
        case .tensorSizeMismatch: "the rows frame size does not equal rows x hidden size x dtype size"
        case .segmentSumMismatch: "segment row counts do not add up to the total rows"
        case .idOutOfRange: "a layer, expert or token slot id is outside the model's range"
        case .oversize: "the message is larger than the largest legal batch allows"
        case .unexpectedKind: "a message kind the receiver does not accept in this direction or state"
        case .unknownPeer: "a message from a peer that has not registered"
        case .rateLimited: "a registration past the per-peer or overall rate limit"
        case .unknownDispatch: "a reply to a dispatch that is not in flight (stale or unknown step)"
        }
    }

    public var description: String { rawValue }

    /// Position in `allCases`, computed without building the array (``DropCounter`` indexes by it).
    var slot: Int {
        switch self {
        case .missingFrames: 0
        case .extraFrames: 1
        case .badProtocolHeader: 2
        case .badMagic: 3
        case .wrongVersion: 4
        case .unknownKind: 5
        case .badProtobuf: 6
        case .invalidField: 7
        case .tensorSizeMismatch: 8
        case .segmentSumMismatch: 9
        case .idOutOfRange: 10
        case .oversize: 11
        case .unexpectedKind: 12
        case .unknownPeer: 13
        case .unknownDispatch: 14
        case .rateLimited: 15
        }
    }
}
