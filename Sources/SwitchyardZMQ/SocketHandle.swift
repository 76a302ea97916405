/// Identifies a socket owned by a `Reactor`; cheap to copy and safe to pass anywhere.
public struct SocketHandle: Sendable, Hashable, CustomStringConvertible {
    /// Unique within the process.
    public let id: Int
    /// The socket's pattern, so handlers can tell a ROUTER's messages (routing id first) apart.
    public let type: SocketType

    public var description: String { "socket#\(id)(\(type))" }
}
