/// A decoded Switchyard message: the protobuf header of its kind, plus the rows frame for data
/// messages. ``encode()`` turns it into frames; ``WireDecoder/decode(_:)`` back.
public enum WireMessage: Sendable, Equatable {
    /// Worker -> router hello.
    case register(Switchyard_V1_Register)
    /// Router -> worker: registration accepted.
    case welcome(Switchyard_V1_Welcome)
    /// Either way: registration refused or a previous message rejected.
    case refusal(Switchyard_V1_Refusal)
    /// Router -> worker: experts to load and drop.
    case assignment(Switchyard_V1_Assignment)
    /// Worker -> router: assignment applied.
    case assignmentAck(Switchyard_V1_AssignmentAck)
    /// Both ways, every interval.
    case heartbeat(Switchyard_V1_Heartbeat)
    /// Either way, before leaving.
    case disconnect(Switchyard_V1_Disconnect)
    /// Either way: a step of a graceful drain (worker asks; router starts, then releases).
    case drain(Switchyard_V1_Drain)
    /// Router -> worker: `rows` holds `header.totalRows` rows of `header.hiddenSize` elements.
    case dispatch(Switchyard_V1_DispatchHeader, rows: TensorBytes)
    /// Worker -> router: `rows` holds `header.rows` rows when status is OK, nil on ERROR.
    case reply(Switchyard_V1_DispatchReply, rows: TensorBytes?)

    /// The kind written into frame 0.
    public var kind: MessageKind {
        switch self {
        case .register: .register
        case .welcome: .welcome
        case .refusal: .refusal
        case .assignment: .assignment
        case .assignmentAck: .assignmentAck
        case .heartbeat: .heartbeat
        case .disconnect: .disconnect
        case .drain: .drain
        case .dispatch: .dispatch
        case .reply: .reply
        }
    }
}
