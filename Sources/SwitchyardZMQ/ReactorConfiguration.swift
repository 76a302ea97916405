/// How a `Reactor` runs. The defaults suit a router or worker daemon.
public struct ReactorConfiguration: Sendable {
    /// The OS thread's name (first 15 bytes show in `top -H`).
    public var name: String
    /// Longest single `zmq_poll` wait when no timer is due sooner; polls never wait forever.
    public var idlePollTimeout: Duration
    /// How soon a ROUTER retries peers whose pipes were full, and the consumer-stall recheck interval.
    public var retryInterval: Duration
    /// Most messages read from one socket per poll round, so one busy socket cannot starve the others.
    public var receiveBatch: Int
    /// Events buffered in `events` before the reactor stops reading (back-pressure to the peers).
    public var eventBufferLimit: Int

    public init(
        name: String = "zmq-reactor",
        idlePollTimeout: Duration = .milliseconds(250),
        retryInterval: Duration = .milliseconds(1),
        receiveBatch: Int = 256,
        eventBufferLimit: Int = 65_536
    ) {
        self.name = name
        self.idlePollTimeout = idlePollTimeout
        self.retryInterval = retryInterval
        self.receiveBatch = max(1, receiveBatch)
        self.eventBufferLimit = max(1, eventBufferLimit)
    }
}

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

/// Counters a reactor keeps, for metrics and for tests; read with `Reactor.statistics`.
public struct ReactorStatistics: Sendable, Hashable {
    /// Messages handed to libzmq.
    public var messagesSent = 0
    /// Whole messages received.
    public var messagesReceived = 0
    /// Messages reported as `.sendFailed`.
    public var sendFailures = 0
    /// Messages waiting in send queues right now.
    public var queuedMessages = 0
    /// Events dropped because nobody iterates `events` any more (the stream was cancelled).
    public var eventsDiscarded = 0
    /// Poll rounds run (a measure of wake-ups).
    public var pollRounds = 0

    public init() {}
}
