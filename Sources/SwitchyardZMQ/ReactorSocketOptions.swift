/// Per-socket settings given to `Reactor.add(_:options:)`.
public struct ReactorSocketOptions: Sendable {
    /// Most unsent messages kept for this socket; past it `send` reports `.queueFull`.
    public var maxQueuedMessages: Int
    /// Whether the reactor reads from the socket (false for send-only PUSH/PUB sockets).
    public var receives: Bool

    public init(maxQueuedMessages: Int = 100_000, receives: Bool = true) {
        self.maxQueuedMessages = max(1, maxQueuedMessages)
        self.receives = receives
    }
}
