/// Errors from `Reactor` calls.
public enum ReactorError: Error, Sendable, Hashable {
    /// The reactor has shut down.
    case stopped
}
