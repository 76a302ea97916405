/// Identifies a timer scheduled on a `Reactor`, for cancelling it.
public struct TimerHandle: Sendable, Hashable {
    /// Unique within the process.
    public let id: Int
}
