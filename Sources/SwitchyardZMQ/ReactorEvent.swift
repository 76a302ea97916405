/// Identifies a socket owned by a `Reactor`; cheap to copy and safe to pass anywhere.
public struct SocketHandle: Sendable, Hashable, CustomStringConvertible {
    /// Unique within the process.
    public let id: Int
    /// The socket's pattern, so handlers can tell a ROUTER's messages (routing id first) apart.
    public let type: SocketType

    public var description: String { "socket#\(id)(\(type))" }
}

/// Identifies a timer scheduled on a `Reactor`, for cancelling it.
public struct TimerHandle: Sendable, Hashable {
    /// Unique within the process.
    public let id: Int
}

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

/// What a `Reactor` reports: received messages and failures.
public enum ReactorEvent: Sendable {
    /// A whole multipart message arrived on a socket (on a ROUTER, frame 0 is the sender's routing id).
    case message(SocketHandle, Message)
    /// A message handed to `send` could not be delivered to libzmq.
    case sendFailed(SocketHandle, Message, SendFailure)
    /// Receiving failed with something other than EAGAIN (the socket is then ignored until removed).
    case receiveFailed(SocketHandle, ZMQError)

    /// The socket the event concerns.
    public var socket: SocketHandle {
        switch self {
        case .message(let socket, _), .sendFailed(let socket, _, _), .receiveFailed(let socket, _): socket
        }
    }
}
