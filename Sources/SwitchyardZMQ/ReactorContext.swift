/// What timer actions and inline event handlers may do while they run on the reactor thread.
///
/// Valid only during the call it is passed to; do not store it.
public struct ReactorContext {
    unowned let loop: ReactorLoop

    /// Sends (or queues) `message` on one of the reactor's sockets, without a thread hop.
    /// Failures are reported as `.sendFailed` events, like `Reactor.send`.
    public func send(_ message: Message, on socket: SocketHandle) {
        loop.submit(message, to: socket)
    }

    /// Runs `action` on the reactor thread after `delay`, then every `interval` if given.
    @discardableResult
    public func schedule(
        after delay: Duration, every interval: Duration? = nil,
        _ action: @escaping @Sendable (ReactorContext) -> Void
    ) -> TimerHandle {
        let handle = TimerHandle(id: ReactorIDs.next())
        loop.timers.schedule(id: handle.id, deadline: .now + delay, interval: interval, action: action)
        return handle
    }

    /// Cancels a timer; cancelling one that already fired is harmless.
    public func cancel(_ timer: TimerHandle) {
        loop.timers.cancel(id: timer.id)
    }

    /// Runs `body` with the socket behind `handle` (to read options, connect or disconnect);
    /// returns nil when there is no such socket.
    public func withSocket<Result>(_ handle: SocketHandle, _ body: (Socket) throws -> Result) rethrows -> Result? {
        guard let socket = loop.entry(for: handle)?.socket else { return nil }
        return try body(socket)
    }

    /// Messages waiting in `socket`'s send queue.
    public func queuedCount(on socket: SocketHandle) -> Int {
        loop.entry(for: socket)?.queue.count ?? 0
    }
}
