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
