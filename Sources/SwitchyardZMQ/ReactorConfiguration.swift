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
