import CZeroMQ
import Synchronization

/// The reactor thread's private state and its poll loop. Lives and dies on that thread.
final class ReactorLoop {
    final class Entry {
        let handle: SocketHandle
        let socket: Socket
        var queue: OutboundQueue
        let receives: Bool
        /// Set after a hard receive error; the socket is then no longer polled for input.
        var receiveBroken = false

        init(handle: SocketHandle, socket: Socket, options: ReactorSocketOptions) {
            self.handle = handle
            self.socket = socket
            self.queue = OutboundQueue(perPeer: socket.type == .router, limit: options.maxQueuedMessages)
            self.receives = options.receives
        }
    }

    private let shared: ReactorShared
    private let configuration: ReactorConfiguration
    private var entries: [Entry] = []
    /// Descriptors polled for POLLIN after the sockets (`Reactor.watch`).
    private var watches: [(handle: WatchHandle, fd: Int32, action: @Sendable (ReactorContext) -> Void)] = []
    private var items: [zmq_pollitem_t] = []
    private var itemsDirty = true
    var timers = TimerQueue<@Sendable (ReactorContext) -> Void>()
    private var undelivered = FIFO<ReactorEvent>()
    private var stats = ReactorStatistics()
    private var drained: [ReactorCommand] = []
    private var stopping = false
    /// How long to wait before retrying ROUTER peers whose pipes were full; doubles (to 4 ms) while no retry
    /// succeeds (a dead peer should not cost a wake-up every millisecond), resets on progress.
    private var routerBackoff: Duration

    init(shared: ReactorShared) {
        self.shared = shared
        self.configuration = shared.configuration
        self.routerBackoff = shared.configuration.retryInterval
    }

    func entry(for handle: SocketHandle) -> Entry? {
        // A reactor owns a handful of sockets; a linear scan beats hashing here.
        for entry in entries where entry.handle == handle { return entry }
        return nil
    }

    // MARK: The loop

    func run() {
        while true {
            processCommands()
            if stopping { break }
            runDueTimers()
            retryUndelivered()
            flushAll()
            if stopping { break }

            preparePollItems()
            let timeout = pollTimeoutMilliseconds()
            let rc = items.withUnsafeMutableBufferPointer { zmq_poll($0.baseAddress, Int32($0.count), timeout) }
            stats.pollRounds += 1
            if rc < 0 {
                let error = ZMQError.last("zmq_poll")
                if error == .terminated { break }
                continue  // EINTR; nothing else is expected from zmq_poll on valid items
            }
            if items[0].revents & Int16(ZMQ_POLLIN) != 0 { shared.wakeup.drain() }
            if rc > 0 { handleReadiness() }
            publishStatistics()
        }
        teardown()
    }

    private func handleReadiness() {
        for (offset, entry) in entries.enumerated() {
            let revents = items[offset + 1].revents
            if revents & Int16(ZMQ_POLLIN) != 0 { receiveBatch(from: entry) }
            if revents & Int16(ZMQ_POLLOUT) != 0 { flush(entry) }
        }
        let first = entries.count + 1
        guard !watches.isEmpty else { return }
        for (offset, watch) in watches.enumerated() where items[first + offset].revents & Int16(ZMQ_POLLIN) != 0 {
            watch.action(ReactorContext(loop: self))
        }
    }

    private func preparePollItems() {
        if itemsDirty {
            items.removeAll(keepingCapacity: true)
            items.append(zmq_pollitem_t(socket: nil, fd: shared.wakeup.fd, events: Int16(ZMQ_POLLIN), revents: 0))
            for entry in entries {
                items.append(zmq_pollitem_t(socket: entry.socket.handle, fd: 0, events: 0, revents: 0))
            }
            for watch in watches {
                items.append(zmq_pollitem_t(socket: nil, fd: watch.fd, events: Int16(ZMQ_POLLIN), revents: 0))
            }
            itemsDirty = false
        }
        let reading = undelivered.isEmpty
        items[0].revents = 0
        for (offset, entry) in entries.enumerated() {
            var events: Int16 = 0
            if entry.receives && !entry.receiveBroken && reading { events |= Int16(ZMQ_POLLIN) }
            // A ROUTER reports POLLOUT when *any* peer has room, which says nothing about the blocked
            // peer, so ROUTER queues are retried on `retryInterval` instead (see pollTimeout).
            if !entry.queue.isEmpty && entry.socket.type != .router { events |= Int16(ZMQ_POLLOUT) }
            items[offset + 1].events = events
            items[offset + 1].revents = 0
        }
        for offset in watches.indices { items[entries.count + 1 + offset].revents = 0 }
    }

    private func pollTimeoutMilliseconds() -> Int {
        var wait = configuration.idlePollTimeout
        if let deadline = timers.nextDeadline() {
            wait = min(wait, ContinuousClock.now.duration(to: deadline))
        }
        let routerBacklog = entries.contains { $0.socket.type == .router && !$0.queue.isEmpty }
        if routerBacklog { wait = min(wait, routerBackoff) }
        if !undelivered.isEmpty { wait = min(wait, configuration.retryInterval) }
        guard wait > .zero else { return 0 }
        let (seconds, attoseconds) = wait.components
        // Round up so a timer is never woken early and re-polled in a spin.
        return Int(seconds) * 1000 + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }

    private func publishStatistics() {
        stats.queuedMessages = entries.reduce(0) { $0 + $1.queue.count }
        let snapshot = stats
        shared.statistics.withLock { $0 = snapshot }
    }

    // MARK: Commands

    private func processCommands() {
        shared.inbox.withLock { swap(&$0.commands, &drained) }
        guard !drained.isEmpty else { return }
        for command in drained { apply(command) }
        drained.removeAll(keepingCapacity: true)
    }

    private func apply(_ command: ReactorCommand) {
        switch command {
        case .add(let handle, let transfer, let options):
            entries.append(Entry(handle: handle, socket: transfer.socket, options: options))
            itemsDirty = true
        case .remove(let handle):
            guard let index = entries.firstIndex(where: { $0.handle == handle }) else { return }
            let entry = entries.remove(at: index)
            itemsDirty = true
            retire(entry)
        case .send(let handle, let message):
            submit(message, to: handle)
        case .schedule(let timer, let deadline, let interval, let action):
            timers.schedule(id: timer.id, deadline: deadline, interval: interval, action: action)
        case .cancel(let timer):
            timers.cancel(id: timer.id)
        case .perform(let handle, let body):
            body(entry(for: handle)?.socket)
        case .watch(let handle, let fd, let action):
            watches.append((handle, fd, action))
            itemsDirty = true
        case .unwatch(let handle):
            watches.removeAll { $0.handle == handle }
            itemsDirty = true
        case .stop:
            stopping = true
        }
    }

    private func runDueTimers() {
        let now = ContinuousClock.now
        while let timer = timers.popDue(now: now) {
            timer.action(ReactorContext(loop: self))
        }
    }

    // MARK: Sending

    func submit(_ message: Message, to handle: SocketHandle) {
        if stopping {
            fail(handle, message, .reactorStopped)
            return
        }
        guard let entry = entry(for: handle) else {
            fail(handle, message, .unknownSocket)
            return
        }
        let socket = entry.socket
        let result = entry.queue.submit(message) { Self.attempt(socket, &$0) }
        switch result {
        case .sent: stats.messagesSent += 1
        case .queued: break
        case .failed(let failure): fail(handle, message, failure)
        }
    }

    private func flushAll() {
        var routerProgress = false, routerStuck = false
        for entry in entries where !entry.queue.isEmpty {
            let sent = flush(entry)
            if entry.socket.type == .router {
                routerProgress = routerProgress || sent > 0
                routerStuck = routerStuck || !entry.queue.isEmpty
            }
        }
        if routerStuck && !routerProgress {
            routerBackoff = min(routerBackoff * 2, max(configuration.retryInterval, .milliseconds(4)))
        } else {
            routerBackoff = configuration.retryInterval
        }
    }

    @discardableResult
    private func flush(_ entry: Entry) -> Int {
        guard !entry.queue.isEmpty else { return 0 }
        let socket = entry.socket
        var failures: [(Message, ZMQError)] = []
        let sent = entry.queue.flush(
            attempt: { Self.attempt(socket, &$0) },
            failed: { failures.append(($0, $1)) }
        )
        stats.messagesSent += sent
        for (message, error) in failures { fail(entry.handle, message, .zmq(error)) }
        return sent + failures.count
    }

    /// Sends the rest of a message with DONTWAIT; never blocks.
    private static func attempt(_ socket: Socket, _ pending: inout PendingSend) -> SendAttempt {
        let frames = pending.message.frames
        var index = pending.sentFrames
        while index < frames.count {
            let flags: SendFlags = index == frames.count - 1 ? .dontWait : [.dontWait, .sendMore]
            do {
                try socket.send(frames[index], flags: flags)
            } catch {
                return error == .again ? .wouldBlock(sentFrames: index) : .failed(error)
            }
            index += 1
        }
        return .sent
    }

    private func fail(_ handle: SocketHandle, _ message: Message, _ failure: SendFailure) {
        stats.sendFailures += 1
        deliver(.sendFailed(handle, message, failure))
    }

    // MARK: Receiving

    private func receiveBatch(from entry: Entry) {
        for _ in 0..<configuration.receiveBatch {
            guard undelivered.isEmpty else { return }  // consumer is behind: stop reading
            do {
                let message = try entry.socket.receive(flags: .dontWait)
                stats.messagesReceived += 1
                deliver(.message(entry.handle, message))
            } catch {
                if error == .again { return }
                if error == .interrupted { continue }
                entry.receiveBroken = true
                deliver(.receiveFailed(entry.handle, error))
                return
            }
        }
    }

    private func deliver(_ event: ReactorEvent) {
        if let handler = shared.handler {
            handler(event, ReactorContext(loop: self))
            return
        }
        guard undelivered.isEmpty else {
            undelivered.append(event)
            return
        }
        switch shared.continuation.yield(event) {
        case .enqueued: break
        case .dropped(let event): undelivered.append(event)
        case .terminated: stats.eventsDiscarded += 1
        @unknown default: stats.eventsDiscarded += 1
        }
    }

    private func retryUndelivered() {
        while let event = undelivered.first {
            switch shared.continuation.yield(event) {
            case .enqueued:
                undelivered.popFirst()
            case .dropped:
                return
            case .terminated:
                stats.eventsDiscarded += undelivered.count
                _ = undelivered.removeAll()
            @unknown default:
                return
            }
        }
    }

    // MARK: Shutdown

    private func retire(_ entry: Entry) {
        flush(entry)
        for message in entry.queue.removeAll() { fail(entry.handle, message, .reactorStopped) }
        entry.socket.close()
    }

    private func teardown() {
        for entry in entries { retire(entry) }
        entries.removeAll()
        watches.removeAll()
        itemsDirty = true
        // Anything still in the inbox was sent too late: report it, close sockets nobody will own.
        shared.inbox.withLock {
            $0.stopped = true
            swap(&$0.commands, &drained)
        }
        for command in drained {
            switch command {
            case .send(let handle, let message): fail(handle, message, .reactorStopped)
            case .add(_, let transfer, _): transfer.socket.close()
            case .perform(_, let body): body(nil)
            default: break
            }
        }
        drained.removeAll()
        timers = TimerQueue()
        // Give a bounded consumer one last chance; what still does not fit is counted.
        retryUndelivered()
        stats.eventsDiscarded += undelivered.count
        _ = undelivered.removeAll()
        publishStatistics()
        shared.continuation.finish()
    }
}
