/// Why the reactor could not send a message. Every message handed to a reactor is either sent or
/// reported with one of these; none is lost silently.
public enum SendFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// libzmq refused it: `.hostUnreachable` on a ROUTER with `routerMandatory` and an unknown peer, say.
    case zmq(ZMQError)
    /// The socket already held `limit` unsent messages (the peer is not reading).
    case queueFull(limit: Int)
    /// No socket with that handle (never added, or removed).
    case unknownSocket
    /// The reactor shut down before the message could be sent.
    case reactorStopped
    /// A message needs at least one frame.
    case emptyMessage

    public var description: String {
        switch self {
        case .zmq(let error): "\(error)"
        case .queueFull(let limit): "send queue full (\(limit) messages)"
        case .unknownSocket: "unknown socket"
        case .reactorStopped: "reactor stopped"
        case .emptyMessage: "empty message"
        }
    }
}
