import Testing
@testable import SwitchyardZMQ

@Suite("Socket")
struct SocketTests {
    @Test("ROUTER/DEALER round trip over tcp with the port read back from lastEndpoint")
    func routerDealerTCP() throws {
        let context = try Context()
        let router = try makeSocket(context, .router)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        let port = Int(endpoint.split(separator: ":").last ?? "")
        #expect(port != nil && port! > 0)

        let dealer = try makeSocket(context, .dealer)
        try dealer.set(.routingID, Array("worker-1".utf8))
        try dealer.connect(endpoint)
        try dealer.send(Message(strings: ["hello", "world"]))

        let request = try router.receive()
        #expect(request.strings == ["worker-1", "hello", "world"])
        try router.send(Message(routingID: request[0], [Frame("reply")]))
        let reply = try dealer.receive()
        #expect(reply.strings == ["reply"])
    }

    @Test("ROUTER/DEALER round trip over inproc")
    func routerDealerInproc() throws {
        let context = try Context()
        let router = try makeSocket(context, .router)
        try router.bind("inproc://round-trip")
        let dealer = try makeSocket(context, .dealer)
        try dealer.connect("inproc://round-trip")
        try dealer.send(Message([Frame([1, 2, 3]), Frame()]))
        let got = try router.receive()
        #expect(got.count == 3)
        #expect(got[1].bytes == [1, 2, 3])
        #expect(got[2].count == 0)
        try router.send(Message(routingID: got[0], [Frame("back")]))
        #expect(try dealer.receive().strings == ["back"])
    }

    @Test("typed options read back what was set")
    func optionsRoundTrip() throws {
        let context = try Context(defaultLinger: 25)
        let socket = try Socket(context, type: .dealer)
        #expect(try socket.get(.linger) == 25)
        try socket.set(.sendHighWaterMark, 7)
        try socket.set(.receiveHighWaterMark, 9)
        try socket.set(.maxMessageSize, 123_456)
        try socket.set(.routingID, [9, 8, 7])
        try socket.set(.zapDomain, "global")
        try socket.set(.immediate, true)
        try socket.set(.heartbeatInterval, 1000)
        try socket.set(.heartbeatTimeout, 3000)
        try socket.set(.heartbeatTTL, 3000)
        #expect(try socket.get(.sendHighWaterMark) == 7)
        #expect(try socket.get(.receiveHighWaterMark) == 9)
        #expect(try socket.get(.maxMessageSize) == 123_456)
        #expect(try socket.get(.routingID) == [9, 8, 7])
        #expect(try socket.get(.zapDomain) == "global")
        #expect(try socket.get(.immediate) == true)
        #expect(try socket.get(.heartbeatInterval) == 1000)
        #expect(try socket.get(.heartbeatTimeout) == 3000)
        #expect(try socket.events == [])
        #expect(try socket.fileDescriptor >= 0)
    }

    @Test("an invalid option value is a clear EINVAL, not a crash")
    func badOptionValue() throws {
        let context = try Context()
        let socket = try Socket(context, type: .dealer)
        #expect(throws: ZMQError.invalidArgument) { try socket.set(.routingID, [UInt8](repeating: 1, count: 300)) }
        #expect(throws: ZMQError.invalidArgument) { try socket.set(.linger, -5) }
    }

    @Test("unbind and disconnect; a closed socket throws ENOTSOCK")
    func unbindDisconnect() throws {
        let context = try Context()
        let router = try makeSocket(context, .router, receiveTimeoutMs: 200)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint
        try router.unbind(endpoint)
        #expect(throws: ZMQError.noSuchEndpoint) { try router.unbind(endpoint) }
        let dealer = try makeSocket(context, .dealer)
        try dealer.connect(endpoint)
        try dealer.disconnect(endpoint)
        #expect(throws: ZMQError.noSuchEndpoint) { try dealer.disconnect(endpoint) }
        router.close()
        #expect(router.isClosed)
        #expect(throws: ZMQError.notSocket) { try router.bind("tcp://127.0.0.1:*") }
        #expect(throws: ZMQError.notSocket) { _ = try router.receive() }
    }

    @Test("ROUTER_MANDATORY: sending to an unknown routing id throws EHOSTUNREACH")
    func routerMandatory() throws {
        let context = try Context()
        let router = try makeSocket(context, .router)
        try router.set(.routerMandatory, true)
        try router.bind("inproc://mandatory")
        let message = Message(routingID: Frame("nobody"), [Frame("payload")])
        #expect(throws: ZMQError.hostUnreachable) { try router.send(message, flags: .dontWait) }
        do {
            try router.send(message)
            Issue.record("send to an unknown peer succeeded")
        } catch {
            #expect(error == .hostUnreachable)
            #expect(error.description.contains("No route to host") || error.description.contains("unreachable"))
        }
    }

    @Test("ROUTER_HANDOVER: a restarted peer with the same routing id takes over the route")
    func routerHandover() throws {
        let context = try Context()
        let router = try makeSocket(context, .router)
        try router.set(.routerHandover, true)
        try router.set(.routerMandatory, true)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint
        let old = try makeSocket(context, .dealer, receiveTimeoutMs: 300)
        try old.set(.routingID, Array("worker".utf8))
        try old.connect(endpoint)
        try old.send(Frame("old"))
        #expect(try router.receive().strings == ["worker", "old"])

        let new = try makeSocket(context, .dealer)
        try new.set(.routingID, Array("worker".utf8))
        try new.connect(endpoint)
        try new.send(Frame("new"))
        #expect(try router.receive().strings == ["worker", "new"])
        try router.send(Message(routingID: Frame("worker"), [Frame("to whoever holds the id")]))
        #expect(try new.receive().strings == ["to whoever holds the id"])
        #expect(throws: ZMQError.again) { _ = try old.receive() }
    }

    @Test("MAXMSGSIZE: an oversize message never arrives, its peer is dropped, a fresh peer still works")
    func maxMessageSize() throws {
        let context = try Context()
        let router = try makeSocket(context, .router, receiveTimeoutMs: 300)
        try router.set(.maxMessageSize, 1024)
        let events = try monitor(router, name: "maxmsg", kinds: [.accepted, .disconnected])
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint

        let big = try makeSocket(context, .dealer)
        try big.set(.routingID, Array("big".utf8))
        try big.connect(endpoint)
        #expect(waitForEvent(events, .accepted) != nil)
        try big.send(Frame([UInt8](repeating: 0xAB, count: 4096)))
        #expect(waitForEvent(events, .disconnected) != nil, "the oversize sender was not disconnected")
        #expect(throws: ZMQError.again) { _ = try router.receive() }

        let small = try makeSocket(context, .dealer)
        try small.set(.routingID, Array("small".utf8))
        try small.connect(endpoint)
        try small.send(Frame([UInt8](repeating: 1, count: 1000)))
        try router.set(.receiveTimeout, 5000)
        let got = try router.receive()
        #expect(got.strings.first == "small")
        #expect(got[1].count == 1000)
    }
}
