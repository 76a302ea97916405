/// One dedicated OS thread that owns a set of ZeroMQ sockets and does all their I/O.
///
/// ZeroMQ sockets are not thread safe, and blocking sends between two peers deadlock once both
/// high-water marks fill. The reactor solves both: sockets are handed to it once (`add`), any thread
/// or task queues messages with the non-blocking `send(_:on:)`, and the thread sends with DONTWAIT,
/// keeping what libzmq will not take yet in per-socket queues (per peer on a ROUTER) that it retries
/// when the socket becomes writable. It waits in `zmq_poll` on its sockets plus an eventfd that
/// `send` signals, and never longer than the nearest timer deadline (or `idlePollTimeout`).
///
/// Received messages and send failures arrive as `ReactorEvent`s, either on the `events`
/// `AsyncStream` (one consumer) or, if a `handler` is given at init, by calling it on the reactor
/// thread (then `events` stays empty). A ROUTER daemon serving many DEALER peers typically passes a
/// handler, replies through its `ReactorContext`, and runs heartbeats with `schedule(after:every:)`.
///
/// When `events` is consumed slower than messages arrive, the reactor buffers up to
/// `eventBufferLimit` events and then stops reading, so back-pressure reaches the peers through
/// ZeroMQ's high-water marks instead of growing memory.
///
/// Call `shutdown()` when done: it stops the thread, reports still-queued messages as
/// `.sendFailed(…, .reactorStopped)`, closes the sockets and finishes `events`. Dropping the last
/// reference also shuts down (timer actions that capture the reactor keep it alive until then).
public final class Reactor: Sendable {
    /// Received messages and failures, in order per socket. Single consumer.
    public let events: AsyncStream<ReactorEvent>
    /// The settings the reactor runs with.
    public let configuration: ReactorConfiguration
    private let shared: ReactorShared
    private let thread: OSThread

    /// Starts the reactor thread.
    /// - Parameters:
    ///   - configuration: poll and buffering settings.
    ///   - handler: if given, called on the reactor thread for every event instead of yielding it
    ///     to `events`. It must not block: it runs inside the poll loop.
    public init(
        configuration: ReactorConfiguration = ReactorConfiguration(),
        handler: (@Sendable (ReactorEvent, ReactorContext) -> Void)? = nil
    ) throws(ZMQError) {
        let (stream, continuation) = AsyncStream.makeStream(
            of: ReactorEvent.self, bufferingPolicy: .bufferingOldest(configuration.eventBufferLimit)
        )
        let shared = ReactorShared(
            configuration: configuration, wakeup: try Wakeup(), continuation: continuation, handler: handler
        )
        self.events = stream
        self.configuration = configuration
        self.shared = shared
        do {
            self.thread = try OSThread(name: configuration.name) {
                ReactorLoop(shared: shared).run()
            }
        } catch {
            continuation.finish()
            throw error
        }
    }

    deinit {
        shutdown()
    }

    /// Hands `socket` to the reactor thread, which from now on is the only one to touch it.
    /// Configure, bind and connect it before adding it. If the reactor has stopped, the socket is
    /// closed and `ReactorError.stopped` is thrown.
    @discardableResult
    public func add(_ socket: sending Socket, options: ReactorSocketOptions = ReactorSocketOptions()) throws(ReactorError) -> SocketHandle {
        let handle = SocketHandle(id: ReactorIDs.next(), type: socket.type)
        let transfer = SocketTransfer(socket: socket)
        guard shared.enqueue(.add(handle, transfer, options)) else {
            transfer.socket.close()
            throw .stopped
        }
        return handle
    }

    /// Removes a socket: its queued messages are tried once more, the rest are reported as
    /// `.reactorStopped` failures, and it is closed.
    public func remove(_ socket: SocketHandle) {
        _ = shared.enqueue(.remove(socket))
    }

    /// Queues `message` for sending on `socket`; never blocks. Returns false (and does nothing)
    /// once the reactor has stopped; otherwise the message is either sent or reported as a
    /// `.sendFailed` event.
    @discardableResult
    public func send(_ message: Message, on socket: SocketHandle) -> Bool {
        shared.enqueue(.send(socket, message))
    }

    /// Runs `action` on the reactor thread after `delay`, then every `interval` if given (heartbeats,
    /// liveness checks, request deadlines). A repeating timer that falls behind skips missed periods.
    @discardableResult
    public func schedule(
        after delay: Duration, every interval: Duration? = nil,
        _ action: @escaping @Sendable (ReactorContext) -> Void
    ) -> TimerHandle {
        let handle = TimerHandle(id: ReactorIDs.next())
        _ = shared.enqueue(.schedule(handle, .now + delay, interval, action))
        return handle
    }

    /// Cancels a timer.
    public func cancel(_ timer: TimerHandle) {
        _ = shared.enqueue(.cancel(timer))
    }

    /// Polls `fd` for POLLIN along with the sockets and runs `onReadable` on the reactor thread each
    /// round it is readable (a doorbell of another transport, say). `onReadable` must make `fd`
    /// unreadable (drain it) or it runs again at once. The caller keeps `fd` open until `unwatch`
    /// has taken effect: keep what owns it alive in `onReadable`, which the reactor releases then.
    @discardableResult
    public func watch(fd: Int32, _ onReadable: @escaping @Sendable (ReactorContext) -> Void) -> WatchHandle {
        let handle = WatchHandle(id: ReactorIDs.next())
        _ = shared.enqueue(.watch(handle, fd, onReadable))
        return handle
    }

    /// Stops polling a watched descriptor and releases its action.
    public func unwatch(_ handle: WatchHandle) {
        _ = shared.enqueue(.unwatch(handle))
    }

    /// Runs `body` on the reactor thread with the socket behind `handle` (nil if there is none or the
    /// reactor stopped), e.g. to connect to a new endpoint or read an option. Use sparingly: it runs
    /// inside the poll loop.
    public func perform(on socket: SocketHandle, _ body: @escaping @Sendable (Socket?) -> Void) {
        if !shared.enqueue(.perform(socket, body)) { body(nil) }
    }

    /// Counters as of the last poll round.
    public var statistics: ReactorStatistics {
        shared.statistics.withLock { $0 }
    }

    /// Whether the reactor has stopped taking commands.
    public var isStopped: Bool {
        shared.inbox.withLock { $0.stopped }
    }

    /// Stops the reactor and waits (briefly: one poll round) for its thread to exit. Messages libzmq
    /// has accepted but not yet transmitted are subject to each socket's LINGER (the context's
    /// `defaultLinger`, 0 unless set): set a LINGER before `add` if they must go out. Safe to call
    /// more than once and from any thread; called from the reactor thread itself it only requests the stop.
    public func shutdown() {
        let first = shared.inbox.withLock { inbox -> Bool in
            guard !inbox.stopRequested else { return false }
            inbox.stopRequested = true
            // Bypasses `enqueue` so the stop is queued after everything already sent.
            inbox.commands.append(.stop)
            return true
        }
        if first { shared.wakeup.signal() }
        thread.join()
    }
}
