import Foundation
import Synchronization
import Testing
@testable import SwitchyardZMQ

@Suite("Reactor")
struct ReactorTests {
    @Test("two reactors pipeline 20,000 messages each way through small HWMs without deadlock")
    func pipelineBothWays() async throws {
        let count = 20_000
        let context = try Context()
        let small = ReactorConfiguration(name: "test-reactor", eventBufferLimit: 64)

        let router = try Socket(context, type: .router)
        try router.set(.routerMandatory, true)
        try router.set(.sendHighWaterMark, 10)
        try router.set(.receiveHighWaterMark, 10)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint
        let dealer = try Socket(context, type: .dealer)
        try dealer.set(.routingID, Array("peer-b".utf8))
        try dealer.set(.sendHighWaterMark, 10)
        try dealer.set(.receiveHighWaterMark, 10)
        try dealer.connect(endpoint)

        let a = try Reactor(configuration: small)
        let b = try Reactor(configuration: small)
        defer { a.shutdown(); b.shutdown() }
        let routerHandle = try a.add(router)
        let dealerHandle = try b.add(dealer)

        // The ROUTER learns the peer's routing id from its first message.
        b.send([Frame("hello")], on: dealerHandle)
        let hello = await collect(a.events, timeout: .seconds(10)) { !messages($0).isEmpty }
        try #require(messages(hello).first?.strings == ["peer-b", "hello"])

        let start = ContinuousClock.now
        let peer = Frame("peer-b")
        for i in 0..<count {
            a.send(Message(routingID: peer, [sequenceFrame(UInt64(i))]), on: routerHandle)
            b.send([sequenceFrame(UInt64(i))], on: dealerHandle)
        }

        async let atB = receiveSequence(b.events, count: count, sequenceFrameIndex: 0)
        async let atA = receiveSequence(a.events, count: count, sequenceFrameIndex: 1)
        let (receivedByB, receivedByA) = await (atB, atA)
        let elapsed = ContinuousClock.now - start
        #expect(receivedByA == count, "A got \(receivedByA) of \(count) in order")
        #expect(receivedByB == count, "B got \(receivedByB) of \(count) in order")
        #expect(elapsed < .seconds(60))
        #expect(a.statistics.sendFailures == 0)
        #expect(b.statistics.sendFailures == 0)
        print("pipelined \(count) messages each way in \(elapsed)")
    }

    @Test("a ROUTER serves many DEALERs, answers inline, and heartbeats on a timer")
    func routerWithHeartbeats() async throws {
        let context = try Context()
        let router = try Socket(context, type: .router)
        try router.set(.routerMandatory, true)
        try router.bind("inproc://heartbeats")

        let peers = Shared<Set<[UInt8]>>([])
        let heartbeatsSent = Shared(0)
        let server = try Reactor(configuration: ReactorConfiguration(name: "router")) { event, reactor in
            guard case .message(let socket, let message) = event else { return }
            peers.withLock { _ = $0.insert(message[0].bytes) }
            reactor.send(Message(routingID: message[0], [Frame("echo"), message[1]]), on: socket)
        }
        defer { server.shutdown() }
        let routerHandle = try server.add(router)
        server.schedule(after: .milliseconds(10), every: .milliseconds(10)) { reactor in
            for peer in peers.withLock({ $0 }) {
                reactor.send(Message(routingID: Frame(peer), [Frame("HEARTBEAT")]), on: routerHandle)
                heartbeatsSent.withLock { $0 += 1 }
            }
        }

        let client = try Reactor()
        defer { client.shutdown() }
        var handles: [SocketHandle] = []
        for i in 0..<5 {
            let dealer = try Socket(context, type: .dealer)
            try dealer.set(.routingID, Array("worker-\(i)".utf8))
            try dealer.connect("inproc://heartbeats")
            handles.append(try client.add(dealer))
        }
        for handle in handles { client.send([Frame("ready")], on: handle) }

        let events = await collect(client.events) { events in
            let got = messages(events)
            let echoes = Set(events.filter { if case .message(_, let m) = $0 { m.strings.first == "echo" } else { false } }.map(\.socket))
            let beats = Set(events.filter { if case .message(_, let m) = $0 { m.strings == ["HEARTBEAT"] } else { false } }.map(\.socket))
            return got.count >= 10 && echoes.count == 5 && beats.count == 5
        }
        let echoed = Set(events.compactMap { if case .message(let s, let m) = $0, m.strings == ["echo", "ready"] { s } else { nil } })
        let beating = Set(events.compactMap { if case .message(let s, let m) = $0, m.strings == ["HEARTBEAT"] { s } else { nil } })
        #expect(echoed == Set(handles))
        #expect(beating == Set(handles))
        #expect(heartbeatsSent.value >= 5)
    }

    @Test("a send to an unknown peer surfaces as a sendFailed(EHOSTUNREACH) event")
    func unknownPeerFailure() async throws {
        let context = try Context()
        let router = try Socket(context, type: .router)
        try router.set(.routerMandatory, true)
        try router.bind("inproc://unknown-peer")
        let reactor = try Reactor()
        defer { reactor.shutdown() }
        let handle = try reactor.add(router)
        reactor.send(Message(routingID: Frame("ghost"), [Frame("x")]), on: handle)
        reactor.send([Frame("y")], on: SocketHandle(id: -1, type: .dealer))
        let events = await collect(reactor.events) { $0.count >= 2 }
        #expect(events.count == 2)
        guard events.count == 2 else { return }
        if case .sendFailed(let socket, let message, let failure) = events[0] {
            #expect(socket == handle)
            #expect(message.strings == ["ghost", "x"])
            #expect(failure == .zmq(.hostUnreachable))
        } else {
            Issue.record("expected sendFailed, got \(events[0])")
        }
        if case .sendFailed(_, _, let failure) = events[1] {
            #expect(failure == .unknownSocket)
        } else {
            Issue.record("expected sendFailed, got \(events[1])")
        }
        #expect(await eventually { reactor.statistics.sendFailures == 2 })
    }

    @Test("a full send queue reports queueFull; shutdown reports unsent messages and finishes the stream")
    func queueLimitAndShutdown() async throws {
        let context = try Context()
        // A DEALER with nobody connected and IMMEDIATE set cannot send at all: everything queues.
        let dealer = try Socket(context, type: .dealer)
        try dealer.set(.immediate, true)
        try dealer.connect("tcp://127.0.0.1:1")
        let reactor = try Reactor()
        let handle = try reactor.add(dealer, options: ReactorSocketOptions(maxQueuedMessages: 3))
        for i in 0..<5 { reactor.send([Frame("m\(i)")], on: handle) }
        #expect(await eventually { reactor.statistics.queuedMessages == 3 && reactor.statistics.sendFailures == 2 })
        reactor.shutdown()
        #expect(reactor.isStopped)
        #expect(reactor.send([Frame("late")], on: handle) == false)
        #expect(throws: ReactorError.stopped) { try reactor.add(try Socket(context, type: .dealer)) }

        var failures: [SendFailure] = []
        for await event in reactor.events {  // finishes: shutdown ended the stream
            if case .sendFailed(_, _, let failure) = event { failures.append(failure) }
        }
        #expect(failures == [.queueFull(limit: 3), .queueFull(limit: 3), .reactorStopped, .reactorStopped, .reactorStopped])
    }

    @Test("perform runs on the socket's thread; remove closes the socket and later sends fail")
    func performAndRemove() async throws {
        let context = try Context()
        let pull = try Socket(context, type: .pull)
        try pull.bind("tcp://127.0.0.1:*")
        let reactor = try Reactor()
        defer { reactor.shutdown() }
        let handle = try reactor.add(pull)
        let endpoint = Shared<String?>(nil)
        reactor.perform(on: handle) { socket in endpoint.withLock { $0 = try? socket?.lastEndpoint } }
        #expect(await eventually { endpoint.value?.hasPrefix("tcp://127.0.0.1:") == true })

        let push = try makeSocket(context, .push)
        try push.connect(try #require(endpoint.value))
        try push.send(Frame("via tcp"))
        let got = await collect(reactor.events) { !messages($0).isEmpty }
        #expect(messages(got).first?.strings == ["via tcp"])

        reactor.remove(handle)
        reactor.send([Frame("to nowhere")], on: handle)
        let failed = await collect(reactor.events) { events in
            events.contains { if case .sendFailed(_, _, .unknownSocket) = $0 { true } else { false } }
        }
        #expect(failed.count == 1)
        let missing = Shared(false)
        reactor.perform(on: handle) { socket in missing.withLock { $0 = socket == nil } }
        #expect(await eventually { missing.value })
    }

    @Test("timers fire in deadline order, repeat, and can be cancelled")
    func timers() async throws {
        let reactor = try Reactor()
        defer { reactor.shutdown() }
        let fired = Shared<[String]>([])
        reactor.schedule(after: .milliseconds(60)) { _ in fired.withLock { $0.append("late") } }
        reactor.schedule(after: .milliseconds(5)) { _ in fired.withLock { $0.append("early") } }
        let repeating = reactor.schedule(after: .milliseconds(5), every: .milliseconds(5)) { _ in
            fired.withLock { $0.append("tick") }
        }
        let cancelled = reactor.schedule(after: .milliseconds(30)) { _ in fired.withLock { $0.append("cancelled") } }
        reactor.cancel(cancelled)
        #expect(await eventually { fired.withLock { $0.contains("late") } })
        reactor.cancel(repeating)
        let log = fired.withLock { $0 }
        #expect(log.first == "early" || log.first == "tick")
        #expect(log.filter { $0 == "tick" }.count >= 3)
        #expect(!log.contains("cancelled"))
        let ticks = log.filter { $0 == "tick" }.count
        try await Task.sleep(for: .milliseconds(40))
        #expect(fired.withLock { $0.filter { $0 == "tick" }.count } <= ticks + 1)
    }

    @Test("an idle reactor sleeps in poll instead of spinning")
    func idleDoesNotSpin() async throws {
        let reactor = try Reactor(configuration: ReactorConfiguration(idlePollTimeout: .milliseconds(50)))
        defer { reactor.shutdown() }
        let start = ContinuousClock.now
        try await Task.sleep(for: .milliseconds(300))
        let rounds = reactor.statistics.pollRounds
        // A busy machine may oversleep; bound by the time that really passed (one round per 50 ms).
        let elapsedMs = Int((ContinuousClock.now - start) / .milliseconds(1))
        #expect(rounds >= 2 && rounds <= elapsedMs / 50 + 3, "\(rounds) poll rounds in \(elapsedMs) ms")
    }
}

/// Counts messages whose sequence frame runs 0, 1, 2, ... until `count` or a gap or a 30 s bound.
private func receiveSequence(_ stream: AsyncStream<ReactorEvent>, count: Int, sequenceFrameIndex: Int) async -> Int {
    let inOrder = Shared(0)
    _ = await collect(stream, timeout: .seconds(30)) { events in
        guard case .message(_, let message)? = events.last,
              message.count > sequenceFrameIndex,
              let n = sequenceNumber(message[sequenceFrameIndex]) else { return true }
        let expected = inOrder.value
        guard n == UInt64(expected) else { return true }
        inOrder.withLock { $0 = expected + 1 }
        return expected + 1 == count
    }
    return inOrder.value
}

/// `Reactor.watch`: a descriptor polled with the sockets, its action run on the reactor thread.
@Suite struct ReactorWatchTests {
    @Test func aWatchedDescriptorRunsItsActionUntilUnwatched() async throws {
        var fds: [Int32] = [-1, -1]
        try #require(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        let reactor = try Reactor()
        defer { reactor.shutdown() }
        let calls = Mutex(0)
        let readFD = fds[0]
        let watch = reactor.watch(fd: readFD) { _ in
            var buffer = [UInt8](repeating: 0, count: 16)
            while read(readFD, &buffer, buffer.count) > 0 {}
            calls.withLock { $0 += 1 }
        }
        var byte: UInt8 = 1
        #expect(write(fds[1], &byte, 1) == 1)
        #expect(await eventually { calls.withLock { $0 } == 1 })
        #expect(write(fds[1], &byte, 1) == 1)
        #expect(await eventually { calls.withLock { $0 } == 2 })
        reactor.unwatch(watch)
        // The unwatch is queued behind nothing: after a poll round the descriptor is no longer watched.
        try await Task.sleep(for: .milliseconds(50))
        #expect(write(fds[1], &byte, 1) == 1)
        try await Task.sleep(for: .milliseconds(100))
        #expect(calls.withLock { $0 } == 2)
    }
}
