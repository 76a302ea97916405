/// Work handed to the reactor thread through its inbox.
enum ReactorCommand: Sendable {
    case add(SocketHandle, SocketTransfer, ReactorSocketOptions)
    case remove(SocketHandle)
    case send(SocketHandle, Message)
    case schedule(TimerHandle, ContinuousClock.Instant, Duration?, @Sendable (ReactorContext) -> Void)
    case cancel(TimerHandle)
    case perform(SocketHandle, @Sendable (Socket?) -> Void)
    case stop
}

/// Carries a `Socket` from the thread that made it to the reactor thread.
///
/// `@unchecked Sendable` is sound because it is only built from a `sending` parameter of
/// `Reactor.add`, so no other reference to the socket exists, and the inbox mutex orders the hand-over.
struct SocketTransfer: @unchecked Sendable {
    let socket: Socket
}

/// The state other threads share with the reactor thread, guarded by `ReactorShared.inbox`.
struct ReactorInbox: Sendable {
    var commands: [ReactorCommand] = []
    var stopRequested = false
    /// Set by the reactor thread once it no longer takes commands.
    var stopped = false
}
