/// The state other threads share with the reactor thread, guarded by `ReactorShared.inbox`.
struct ReactorInbox: Sendable {
    var commands: [ReactorCommand] = []
    var stopRequested = false
    /// Set by the reactor thread once it no longer takes commands.
    var stopped = false
}
