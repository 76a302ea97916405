import CZeroMQ

/// The readiness bits of `zmq_poll` and `ZMQ_EVENTS`.
public struct PollEvents: OptionSet, Sendable, Hashable {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }
    /// A message can be received without blocking.
    public static let pollIn = PollEvents(rawValue: Int16(ZMQ_POLLIN))
    /// A message can be sent without blocking.
    public static let pollOut = PollEvents(rawValue: Int16(ZMQ_POLLOUT))
    /// An error condition (raw file descriptors only).
    public static let pollError = PollEvents(rawValue: Int16(ZMQ_POLLERR))
}
