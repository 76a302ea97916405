/// Counts of a `ZAPHandler`'s answers.
public struct ZAPStatistics: Sendable, Hashable {
    /// Handshakes accepted ("200").
    public var accepted = 0
    /// Handshakes refused ("400"), e.g. a client key not on the allow-list.
    public var refused = 0
    /// Requests that were not valid ZAP ("500").
    public var malformed = 0
}
