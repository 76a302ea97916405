import CZeroMQ

/// Flags for `Socket.receive`.
public struct ReceiveFlags: OptionSet, Sendable, Hashable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    /// `ZMQ_DONTWAIT`: fail with `ZMQError.again` rather than block.
    public static let dontWait = ReceiveFlags(rawValue: ZMQ_DONTWAIT)
}
