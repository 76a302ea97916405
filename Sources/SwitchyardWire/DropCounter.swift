/// Counts dropped messages by ``DropReason``, for `/metrics` and logs.
///
/// A value type with one slot per reason, no allocation per drop. The shell that owns a socket
/// keeps one and publishes a copy (or merges several with ``merge(_:)``).
public struct DropCounter: Sendable, Equatable, CustomStringConvertible {
    private var counts: [UInt64]

    public init() {
        counts = [UInt64](repeating: 0, count: DropReason.allCases.count)
    }

    /// Counts one drop for `reason`.
    public mutating func record(_ reason: DropReason) {
        counts[Self.index(of: reason)] &+= 1
    }

    /// Counts one drop for the reason of `error`.
    public mutating func record(_ error: WireError) {
        record(error.reason)
    }

    /// Drops counted for `reason`.
    public subscript(reason: DropReason) -> UInt64 {
        counts[Self.index(of: reason)]
    }

    /// Drops counted for every reason.
    public var total: UInt64 {
        counts.reduce(0, &+)
    }

    /// Adds the counts of `other`.
    public mutating func merge(_ other: DropCounter) {
        for i in counts.indices { counts[i] &+= other.counts[i] }
    }

    /// (reason, count) for every reason, in declaration order, including zeros (Prometheus wants
    /// every label series to exist from the start).
    public var all: [(reason: DropReason, count: UInt64)] {
        DropReason.allCases.map { ($0, self[$0]) }
    }

    /// "bad_magic=2 wrong_version=1" for the reasons with drops, or "no drops".
    public var description: String {
        let parts = all.filter { $0.count > 0 }.map { "\($0.reason.label)=\($0.count)" }
        return parts.isEmpty ? "no drops" : parts.joined(separator: " ")
    }

    private static func index(of reason: DropReason) -> Int {
        reason.slot
    }
}
