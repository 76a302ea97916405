/// The kind field of frame 0: which protobuf message frame 1 holds and which frames follow.
public enum MessageKind: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    case register = 1
    case welcome = 2
    case refusal = 3
    case assignment = 4
    case assignmentAck = 5
    case heartbeat = 6
    case disconnect = 7
    case drain = 8
    case dispatch = 16
    case reply = 17

    /// Whether the kind is a control message (two frames, no tensors).
    public var isControl: Bool {
        switch self {
        case .dispatch, .reply: false
        default: true
        }
    }

    public var description: String {
        switch self {
        case .register: "register"
        case .welcome: "welcome"
        case .refusal: "refusal"
        case .assignment: "assignment"
        case .assignmentAck: "assignment-ack"
        case .heartbeat: "heartbeat"
        case .disconnect: "disconnect"
        case .drain: "drain"
        case .dispatch: "dispatch"
        case .reply: "reply"
        }
    }
}
