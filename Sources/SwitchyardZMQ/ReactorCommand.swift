/// Work handed to the reactor thread through its inbox.
enum ReactorCommand: Sendable {
    case add(SocketHandle, SocketTransfer, ReactorSocketOptions)
    case remove(SocketHandle)
    case send(SocketHandle, Message)
    case schedule(TimerHandle, ContinuousClock.Instant, Duration?, @Sendable (ReactorContext) -> Void)
    case cancel(TimerHandle)
    case perform(SocketHandle, @Sendable (Socket?) -> Void)
    case watch(WatchHandle, Int32, @Sendable (ReactorContext) -> Void)
    case unwatch(WatchHandle)
    case stop
}
