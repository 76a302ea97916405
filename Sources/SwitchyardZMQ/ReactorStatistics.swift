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
