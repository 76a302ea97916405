import Testing
@testable import SwitchyardZMQ

@Suite("Frame and Message")
struct FrameTests {
    @Test("copying frames keep their bytes; strings decode")
    func copying() {
        let frame = Frame([0, 1, 2, 255])
        #expect(frame.count == 4)
        #expect(frame.bytes == [0, 1, 2, 255])
        #expect(Frame("héllo").string == "héllo")
        #expect(Frame([0xFF, 0xFE]).string == nil)
        #expect(Frame().count == 0)
        #expect(Frame().withUnsafeBytes { $0.count } == 0)
        let big = [UInt8](repeating: 7, count: 100_000)
        #expect(Frame(big).hasSameBytes(as: Frame(big)))
        #expect(!Frame("a").hasSameBytes(as: Frame("b")))
    }

    @Test("a 1 MiB zero-copy frame arrives intact over tcp and its owner is released afterwards")
    func zeroCopyOverTCP() async throws {
        let context = try Context()
        let router = try makeSocket(context, .router)
        try router.bind("tcp://127.0.0.1:*")
        let dealer = try makeSocket(context, .dealer)
        try dealer.connect(try router.lastEndpoint)

        let size = 1 << 20
        weak var watched: OwnedBuffer?
        do {
            let owner = OwnedBuffer(count: size, seed: 42)
            watched = owner
            let message: Message = [Frame("header"), Frame(noCopy: owner.bytes, owner: owner), Frame("trailer")]
            try dealer.send(message)
        }

        let got = try router.receive()
        #expect(got.count == 4)
        #expect(got[1].string == "header")
        #expect(got[3].string == "trailer")
        let expected = OwnedBuffer(count: size, seed: 42)
        #expect(got[2].count == size)
        #expect(got[2].withUnsafeBytes { $0.elementsEqual(expected.bytes) })
        // libzmq's free callback (on its I/O thread) must drop the last reference.
        #expect(await eventually { watched == nil }, "zero-copy owner was never released")
    }

    @Test("a zero-copy frame can be sent twice and over inproc without copies going stale")
    func zeroCopyResend() async throws {
        let context = try Context()
        let pull = try makeSocket(context, .pull)
        try pull.bind("inproc://zero-copy")
        let push = try makeSocket(context, .push)
        try push.connect("inproc://zero-copy")
        weak var watched: OwnedBuffer?
        do {
            let owner = OwnedBuffer(count: 4096, seed: 3)
            watched = owner
            let frame = Frame(noCopy: owner.bytes, owner: owner)
            try push.send(frame)
            try push.send(frame)
        }
        let expected = OwnedBuffer(count: 4096, seed: 3)
        for _ in 0..<2 {
            let got = try pull.receive()
            #expect(got[0].withUnsafeBytes { $0.elementsEqual(expected.bytes) })
        }
        #expect(await eventually { watched == nil })
    }

    @Test("an empty message cannot be sent")
    func emptyMessage() throws {
        let context = try Context()
        let push = try Socket(context, type: .push)
        #expect(throws: ZMQError.invalidArgument) { try push.send(Message([])) }
    }
}
