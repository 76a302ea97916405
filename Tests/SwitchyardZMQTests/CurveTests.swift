import Testing
@testable import SwitchyardZMQ

@Suite("CURVE keys")
struct CurveKeyTests {
    @Test("generated pairs are 40-char Z85, distinct, and the public half derives from the secret")
    func generate() throws {
        let pair = try CurveKeyPair.generate()
        #expect(pair.publicKey.z85.count == 40)
        #expect(pair.secretKey.z85.count == 40)
        #expect(pair.publicKey != pair.secretKey)
        #expect(try CurveKeyPair(secretKey: pair.secretKey) == pair)
        #expect(try CurveKeyPair(publicZ85: pair.publicKey.z85, secretZ85: pair.secretKey.z85) == pair)
        #expect(try CurveKeyPair.generate() != pair)
        #expect(try CurveKey(z85: pair.publicKey.z85) == pair.publicKey)
        #expect(try CurveKey(bytes: pair.publicKey.bytes).z85 == pair.publicKey.z85)
    }

    @Test("Z85 round trip against the RFC 32 reference key")
    func referenceKey() throws {
        // The example server public key of the libzmq CURVE documentation.
        let key = try CurveKey(z85: "  rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\n")
        #expect(key.bytes.count == 32)
        #expect(key.z85 == "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7")
    }

    @Test("bad Z85 text is rejected with a clear error")
    func rejectsBadText() throws {
        #expect(throws: CurveKeyError.wrongLength(39)) { try CurveKey(z85: String(repeating: "a", count: 39)) }
        #expect(throws: CurveKeyError.wrongLength(0)) { try CurveKey(z85: "") }
        #expect(throws: CurveKeyError.invalidCharacter("~", offset: 5)) {
            try CurveKey(z85: "aaaaa~" + String(repeating: "a", count: 34))
        }
        #expect(throws: CurveKeyError.invalidCharacter("\"", offset: 0)) {
            try CurveKey(z85: "\"" + String(repeating: "a", count: 39))
        }
        #expect(throws: CurveKeyError.wrongByteCount(31)) { try CurveKey(bytes: [UInt8](repeating: 0, count: 31)) }
        let a = try CurveKeyPair.generate(), b = try CurveKeyPair.generate()
        #expect(throws: CurveKeyError.mismatchedPair) {
            try CurveKeyPair(publicZ85: a.publicKey.z85, secretZ85: b.secretKey.z85)
        }
        #expect(CurveKeyError.wrongLength(39).description == "a CURVE key in Z85 is 40 characters, got 39")
        #expect(CurveKeyError.invalidCharacter("~", offset: 5).description.contains("offset 5"))
    }
}

@Suite("CURVE and ZAP over tcp")
struct CurveZAPTests {
    @Test("allow-listed clients talk, unlisted never get through, and replacing the list takes effect")
    func allowList() throws {
        try #require(ZMQLibrary.has("curve"))
        let server = try CurveKeyPair.generate()
        let allowed = try CurveKeyPair.generate()
        let stranger = try CurveKeyPair.generate()

        let serverContext = try Context()
        let zap = try ZAPHandler(context: serverContext, policy: ZAPPolicy(allowedCurveKeys: [allowed.publicKey]))
        defer { zap.stop() }
        let router = try makeSocket(serverContext, .router)
        try router.makeCurveServer(keyPair: server)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint

        let clientContext = try Context()
        func client(_ keys: CurveKeyPair, id: String) throws -> (Socket, Socket) {
            let dealer = try makeSocket(clientContext, .dealer)
            try dealer.set(.routingID, Array(id.utf8))
            try dealer.makeCurveClient(keyPair: keys, serverKey: server.publicKey)
            let events = try monitor(dealer, name: id, kinds: [.handshakeSucceeded, .handshakeFailedAuth, .handshakeFailedProtocol])
            try dealer.connect(endpoint)
            return (dealer, events)
        }

        // 1. The listed key talks, and its identity reaches the application as User-Id.
        let (good, goodEvents) = try client(allowed, id: "good")
        try good.send(Frame("hello"))
        let got = try router.receive()
        #expect(got.strings == ["good", "hello"])
        #expect(got[1].metadata("User-Id") == allowed.publicKey.z85)
        #expect(waitForEvent(goodEvents, .handshakeSucceeded) != nil)

        // 2. An unlisted key is refused at the handshake; its message never arrives.
        let (bad, badEvents) = try client(stranger, id: "bad")
        try bad.send(Frame("sneaky"), flags: .dontWait)
        let refusal = waitForEvent(badEvents, [.handshakeFailedAuth, .handshakeSucceeded])
        #expect(refusal?.kind == .handshakeFailedAuth)
        #expect(refusal?.value == 400)
        try router.set(.receiveTimeout, 500)
        #expect(throws: ZMQError.again) { _ = try router.receive() }
        #expect(zap.statistics.refused >= 1)
        bad.close()

        // 3. Replaced at run time: the stranger's key is now allowed, a fresh client gets through.
        zap.setAllowedKeys([allowed.publicKey, stranger.publicKey])
        // (Monitors stay referenced: libzmq may stall on a monitor whose reader is gone.)
        let (late, lateEvents) = try client(stranger, id: "late")
        try late.send(Frame("admitted"))
        #expect(waitForEvent(lateEvents, [.handshakeFailedAuth, .handshakeSucceeded])?.kind == .handshakeSucceeded)
        try router.set(.receiveTimeout, 5000)
        let admitted = try router.receive()
        #expect(admitted.strings == ["late", "admitted"])
        #expect(admitted[1].metadata("User-Id") == stranger.publicKey.z85)

        // 4. And removing a key refuses new connections with it.
        zap.setAllowedKeys([])
        let (revoked, revokedEvents) = try client(allowed, id: "revoked")
        try revoked.send(Frame("no"), flags: .dontWait)
        #expect(waitForEvent(revokedEvents, [.handshakeFailedAuth, .handshakeSucceeded])?.kind == .handshakeFailedAuth)
        try router.set(.receiveTimeout, 300)
        #expect(throws: ZMQError.again) { _ = try router.receive() }
        #expect(zap.statistics.accepted >= 2)
    }

    @Test("a second ZAP handler on the same context is refused clearly")
    func oneHandlerPerContext() throws {
        let context = try Context()
        let first = try ZAPHandler(context: context, policy: ZAPPolicy(allowedCurveKeys: nil))
        defer { first.stop() }
        #expect(throws: ZMQError.addressInUse) { _ = try ZAPHandler(context: context, policy: ZAPPolicy(allowedCurveKeys: nil)) }
    }
}
