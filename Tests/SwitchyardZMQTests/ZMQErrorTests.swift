import Testing
@testable import SwitchyardZMQ

@Suite("ZMQError")
struct ZMQErrorTests {
    @Test("a non-blocking receive on an empty socket throws EAGAIN")
    func again() throws {
        let context = try Context()
        let pull = try Socket(context, type: .pull)
        try pull.bind("inproc://empty")
        #expect(throws: ZMQError.again) { _ = try pull.receive(flags: .dontWait) }
    }

    @Test("a receive timeout throws EAGAIN too")
    func timeout() throws {
        let context = try Context()
        let pull = try makeSocket(context, .pull, receiveTimeoutMs: 20)
        try pull.bind("inproc://timeout")
        let start = ContinuousClock.now
        #expect(throws: ZMQError.again) { _ = try pull.receive() }
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    @Test("after context shutdown, operations throw ETERM")
    func terminated() throws {
        let context = try Context()
        let pull = try Socket(context, type: .pull)
        try pull.bind("inproc://term")
        context.shutdown()
        #expect(context.isShuttingDown)
        #expect(throws: ZMQError.terminated) { _ = try pull.receive() }
        #expect(throws: ZMQError.terminated) { _ = try Socket(context, type: .push) }
    }

    @Test("bad endpoints give clear errors with the failing call named")
    func badEndpoints() throws {
        let context = try Context()
        let socket = try Socket(context, type: .router)
        #expect(throws: ZMQError.protocolNotSupported) { try socket.bind("tpc://127.0.0.1:1") }
        #expect(throws: ZMQError.invalidArgument) { try socket.bind("tcp://127.0.0.1") }
        try socket.bind("inproc://taken")
        let other = try Socket(context, type: .router)
        do {
            try other.bind("inproc://taken")
            Issue.record("second bind succeeded")
        } catch {
            #expect(error == .addressInUse)
            #expect(error.description.contains("zmq_bind(inproc://taken)"))
            #expect(!error.message.isEmpty)
        }
    }

    @Test("named constants match errno values and pattern-match in a switch")
    func constants() {
        #expect(ZMQError.again.code == 11)
        #expect(ZMQError.hostUnreachable.code == 113)
        #expect(ZMQError.interrupted.code == 4)
        #expect(ZMQError.terminated.code == 156_384_712 + 53)
        #expect(ZMQError.terminated.message == "Context was terminated")
        let error = ZMQError(code: 113, operation: "zmq_msg_send")
        switch error {
        case .again: Issue.record("matched the wrong constant")
        case .hostUnreachable: break
        default: Issue.record("did not match")
        }
    }

    @Test("REQ sending twice is EFSM")
    func invalidState() throws {
        let context = try Context()
        let rep = try Socket(context, type: .reply)
        try rep.bind("inproc://fsm")
        let req = try Socket(context, type: .request)
        try req.connect("inproc://fsm")
        try req.send(Frame("one"))
        #expect(throws: ZMQError.invalidState) { try req.send(Frame("two")) }
    }
}
