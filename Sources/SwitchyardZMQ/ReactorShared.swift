import Synchronization

/// State shared between a `Reactor`'s callers and its thread.
final class ReactorShared: Sendable {
    let configuration: ReactorConfiguration
    let inbox = Mutex(ReactorInbox())
    let wakeup: Wakeup
    let statistics = Mutex(ReactorStatistics())
    let continuation: AsyncStream<ReactorEvent>.Continuation
    let handler: (@Sendable (ReactorEvent, ReactorContext) -> Void)?

    init(
        configuration: ReactorConfiguration,
        wakeup: Wakeup,
        continuation: AsyncStream<ReactorEvent>.Continuation,
        handler: (@Sendable (ReactorEvent, ReactorContext) -> Void)?
    ) {
        self.configuration = configuration
        self.wakeup = wakeup
        self.continuation = continuation
        self.handler = handler
    }

    /// Queues `command` for the reactor thread; false once the reactor has stopped.
    func enqueue(_ command: ReactorCommand) -> Bool {
        let (accepted, wasEmpty) = inbox.withLock { inbox -> (Bool, Bool) in
            guard !inbox.stopped else { return (false, false) }
            let wasEmpty = inbox.commands.isEmpty
            inbox.commands.append(command)
            return (true, wasEmpty)
        }
        // One wake-up per batch: if commands were already waiting, the thread is already being woken.
        if accepted && wasEmpty { wakeup.signal() }
        return accepted
    }
}
