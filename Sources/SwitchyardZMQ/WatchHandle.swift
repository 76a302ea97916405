/// Identifies a file descriptor a `Reactor` watches for readability (`Reactor.watch`).
public struct WatchHandle: Sendable, Hashable {
    /// Unique within the process.
    public let id: Int
}
