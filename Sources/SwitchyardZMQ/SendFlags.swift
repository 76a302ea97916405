import CZeroMQ

/// Flags for `Socket.send`.
public struct SendFlags: OptionSet, Sendable, Hashable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    /// `ZMQ_DONTWAIT`: fail with `ZMQError.again` rather than block.
    public static let dontWait = SendFlags(rawValue: ZMQ_DONTWAIT)
    /// `ZMQ_SNDMORE`: more frames of this message follow.
    public static let sendMore = SendFlags(rawValue: ZMQ_SNDMORE)
}
