import Testing
@testable import SwitchyardWire

@Suite("Rejections: every drop reason from crafted frames")
struct RejectionTests {
    let decoder = Fixtures.decoder

    private func expectReason(_ frames: [FrameBytes], _ reason: DropReason, sourceLocation: SourceLocation = #_sourceLocation) {
        let error = Fixtures.decodeError(frames)
        #expect(error?.reason == reason, "got \(String(describing: error))", sourceLocation: sourceLocation)
    }

    @Test("no frames at all")
    func empty() {
        #expect(Fixtures.decodeError([]) == .missingFrames(kind: nil, expected: 2, actual: 0))
    }

    @Test("truncated: a control message without its protobuf frame")
    func truncatedControl() {
        let frames = Array(Fixtures.rawControl(.heartbeat, Fixtures.heartbeat).prefix(1))
        #expect(Fixtures.decodeError(frames) == .missingFrames(kind: .heartbeat, expected: 2, actual: 1))
    }

    @Test("truncated: a dispatch without its rows frame")
    func truncatedDispatch() {
        let frames = Array(Fixtures.rawDispatch().prefix(2))
        #expect(Fixtures.decodeError(frames) == .missingFrames(kind: .dispatch, expected: 3, actual: 2))
    }

    @Test("truncated: an OK reply without its rows frame")
    func truncatedReply() {
        #expect(Fixtures.decodeError(Fixtures.rawReply(rows: nil)) == .missingFrames(kind: .reply, expected: 3, actual: 2))
    }

    @Test("truncated: a rows frame cut short")
    func truncatedRows() {
        let rows = TensorBytes(f32: Fixtures.floats(47))
        #expect(Fixtures.decodeError(Fixtures.rawDispatch(rows: rows)) == .tensorSizeMismatch(expected: 192, actual: 188))
    }

    @Test("truncated protocol header frame")
    func shortHeader() {
        let frames: [FrameBytes] = [.inline([0x53, 0x57, 0x59, 0x44, 1, 0])] + Fixtures.rawDispatch().dropFirst()
        #expect(Fixtures.decodeError(frames) == .badProtocolHeader(length: 6))
    }

    @Test("extra frame after a control message, a dispatch and an error reply")
    func extraFrames() {
        let extra = FrameBytes.inline([1, 2, 3])
        #expect(Fixtures.decodeError(Fixtures.rawControl(.heartbeat, Fixtures.heartbeat) + [extra])
            == .extraFrames(kind: .heartbeat, expected: 2, actual: 3))
        #expect(Fixtures.decodeError(Fixtures.rawDispatch() + [extra]) == .extraFrames(kind: .dispatch, expected: 3, actual: 4))
        let failure = Switchyard_V1_DispatchReply.failure(answering: Fixtures.dispatchHeader, error: "boom")
        let frames = Fixtures.rawReply(rows: Fixtures.replyRows) { $0 = failure }
        #expect(Fixtures.decodeError(frames) == .extraFrames(kind: .reply, expected: 2, actual: 3))
    }

    @Test("wrong magic")
    func badMagic() {
        var frames = Fixtures.rawControl(.heartbeat, Fixtures.heartbeat)
        frames[0] = .inline(Array("HTTP".utf8) + [1, 0, 6, 0])
        #expect(Fixtures.decodeError(frames) == .badMagic(Array("HTTP".utf8)))
        #expect(WireError.badMagic(Array("HTTP".utf8)).description.contains("48 54 54 50"))
    }

    @Test("wrong version is refused naming both versions")
    func wrongVersion() throws {
        var frames = Fixtures.rawControl(.register, Fixtures.register)
        frames[0] = .inline(ProtocolHeader(kind: .register, version: 2).bytes)
        let error = try #require(Fixtures.decodeError(frames))
        #expect(error == .wrongVersion(peer: 2, ours: WireFormat.version))
        #expect(error.description.contains("version 2"))
        #expect(error.description.contains("version \(WireFormat.version)"))
        #expect(Switchyard_V1_Refusal(for: error).code == .versionMismatch)
    }

    @Test("version is checked before kind: a newer peer with new kinds is reported as a version mismatch")
    func versionBeforeKind() {
        let frames: [FrameBytes] = [.inline(WireFormat.magic + [9, 0, 0xFF, 0x7F]), .inline([])]
        #expect(Fixtures.decodeError(frames) == .wrongVersion(peer: 9, ours: WireFormat.version))
    }

    @Test("unknown kind")
    func unknownKind() {
        let frames: [FrameBytes] = [.inline(WireFormat.magic + [1, 0, 99, 0]), .inline([])]
        #expect(Fixtures.decodeError(frames) == .unknownKind(99))
    }

    @Test("garbage protobuf", arguments: MessageKind.allCases)
    func garbage(kind: MessageKind) {
        var frames = kind == .dispatch ? Fixtures.rawDispatch() : Fixtures.rawControl(kind, Fixtures.heartbeat)
        frames[0] = .inline(ProtocolHeader(kind: kind).bytes)
        // Field 1 declared as a length-delimited field of 100 bytes with only 2 present.
        frames[1] = .inline([0x0A, 100, 0xFF, 0xFF])
        if kind == .reply { frames = Array(frames.prefix(2)) }
        expectReason(frames, .badProtobuf)
    }

    @Test("rows frame size does not match rows x hidden x dtype size")
    func sizeMismatch() {
        let tooBig = TensorBytes(f32: Fixtures.floats(49))
        #expect(Fixtures.decodeError(Fixtures.rawDispatch(rows: tooBig)) == .tensorSizeMismatch(expected: 192, actual: 196))
        // Header says bf16 but the frame holds f32.
        #expect(Fixtures.decodeError(Fixtures.rawDispatch { $0.dtype = .bf16 }) == .tensorSizeMismatch(expected: 96, actual: 192))
        let replyBytes = TensorBytes(f32: Fixtures.floats(31))
        #expect(Fixtures.decodeError(Fixtures.rawReply(rows: replyBytes)) == .tensorSizeMismatch(expected: 128, actual: 124))
    }

    @Test("segment row counts must sum to total rows")
    func segmentSum() {
        let frames = Fixtures.rawDispatch { $0.segments = [Fixtures.segment(1, 2), Fixtures.segment(5, 2)] }
        #expect(Fixtures.decodeError(frames) == .segmentSumMismatch(segments: 4, totalRows: 3))
    }

    @Test("layer out of range in dispatch, reply and control messages")
    func layerOutOfRange() {
        #expect(Fixtures.decodeError(Fixtures.rawDispatch { $0.layer = 4 }) == .idOutOfRange(what: "layer", value: 4, bound: 4))
        #expect(Fixtures.decodeError(Fixtures.rawReply { $0.layer = 9 }) == .idOutOfRange(what: "layer", value: 9, bound: 4))
        var assignment = Fixtures.assignment
        assignment.drop.append(Fixtures.ref(4, 0))
        #expect(Fixtures.decodeError(Fixtures.rawControl(.assignment, assignment)) == .idOutOfRange(what: "layer", value: 4, bound: 4))
    }

    @Test("expert out of range in dispatch, register, assignment and ack")
    func expertOutOfRange() {
        let frames = Fixtures.rawDispatch { $0.segments = [Fixtures.segment(1, 2), Fixtures.segment(8, 1)] }
        #expect(Fixtures.decodeError(frames) == .idOutOfRange(what: "expert", value: 8, bound: 8))
        var register = Fixtures.register
        register.pinnedExperts.append(12)
        #expect(Fixtures.decodeError(Fixtures.rawControl(.register, register)) == .idOutOfRange(what: "pinned expert", value: 12, bound: 8))
        register = Fixtures.register
        register.held.append(Fixtures.ref(0, 8))
        expectReason(Fixtures.rawControl(.register, register), .idOutOfRange)
        var assignment = Fixtures.assignment
        assignment.load.append(Fixtures.ref(1, 100))
        expectReason(Fixtures.rawControl(.assignment, assignment), .idOutOfRange)
        var ack = Fixtures.ack
        ack.loaded.append(Fixtures.ref(1, 8))
        expectReason(Fixtures.rawControl(.assignmentAck, ack), .idOutOfRange)
    }

    @Test("token slot out of range")
    func tokenSlot() {
        #expect(Fixtures.decodeError(Fixtures.rawDispatch { $0.tokenSlots = [0, 2, 0] })
            == .idOutOfRange(what: "token slot", value: 2, bound: 2))
    }

    @Test("oversize: whole message above MAXMSGSIZE")
    func oversizeMessage() {
        let limit = WireLimits.maxMessageBytes(for: Fixtures.limits)
        let huge = TensorBytes.build(count: limit) { $0.initializeMemory(as: UInt8.self, repeating: 0) }
        let error = Fixtures.decodeError(Fixtures.rawDispatch(rows: huge))
        #expect(error?.reason == .oversize)
        if case .oversize(_, let size, let bound) = error {
            #expect(size > bound)
            #expect(bound == limit)
        }
    }

    @Test("oversize: more rows than the largest legal batch, with a consistent frame")
    func oversizeRows() {
        let rows = 65
        let frames = Fixtures.rawDispatch(rows: TensorBytes(f32: [Float](repeating: 1, count: rows * 16))) { header in
            header.segments = [Fixtures.segment(1, UInt32(rows))]
            header.totalRows = UInt32(rows)
            header.gateWeights = [Float](repeating: 1, count: rows)
            header.tokenSlots = [UInt32](repeating: 0, count: rows)
            header.tokenCount = 1
        }
        #expect(Fixtures.decodeError(frames) == .oversize(what: "dispatch rows", size: 65, limit: 64))
    }

    @Test("oversize: a control header above the header cap")
    func oversizeHeader() {
        var register = Fixtures.register
        register.softwareVersion = String(repeating: "x", count: WireLimits.maxHeaderBytes(for: Fixtures.limits))
        expectReason(Fixtures.rawControl(.register, register), .oversize)
    }

    /// Header edits that each break one dispatch field.
    static let invalidEdits: [String: @Sendable (inout Switchyard_V1_DispatchHeader) -> Void] = [
        "dtype unspecified": { $0.dtype = .unspecified },
        "hidden size of another model": { $0.hiddenSize = 32 },
        "no rows": { $0.totalRows = 0; $0.segments = []; $0.gateWeights = []; $0.tokenSlots = [] },
        "unsorted segments": { $0.segments = [Fixtures.segment(5, 1), Fixtures.segment(1, 2)] },
        "duplicate segment expert": { $0.segments = [Fixtures.segment(1, 2), Fixtures.segment(1, 1)] },
        "empty segment": { $0.segments = [Fixtures.segment(1, 3), Fixtures.segment(5, 0)] },
        "gate weight count": { $0.gateWeights = [1, 1] },
        "token slot count": { $0.tokenSlots = [0, 1, 0, 1] },
        "token count zero": { $0.tokenCount = 0 },
        "token count above rows": { $0.tokenCount = 4 },
        "NaN gate weight": { $0.gateWeights = [0.5, .nan, 0.5] },
    ]

    @Test("invalid dispatch fields", arguments: invalidEdits.keys.sorted())
    func invalidDispatch(name: String) throws {
        let edit = try #require(Self.invalidEdits[name])
        expectReason(Fixtures.rawDispatch(edit), .invalidField)
    }

    @Test("invalid control and reply fields")
    func invalidControl() {
        var register = Fixtures.register
        register.workerID = ""
        expectReason(Fixtures.rawControl(.register, register), .invalidField)
        register = Fixtures.register
        register.workerID = String(repeating: "w", count: 256)
        expectReason(Fixtures.rawControl(.register, register), .invalidField)
        register = Fixtures.register
        register.clearModel()
        expectReason(Fixtures.rawControl(.register, register), .invalidField)
        register = Fixtures.register
        register.capacity.threads = 0
        expectReason(Fixtures.rawControl(.register, register), .invalidField)
        var welcome = Fixtures.welcome
        welcome.heartbeatIntervalMs = 0
        expectReason(Fixtures.rawControl(.welcome, welcome), .invalidField)
        var drain = Fixtures.drain
        drain.phase = .unspecified
        expectReason(Fixtures.rawControl(.drain, drain), .invalidField)
        drain.phase = .UNRECOGNIZED(9)
        expectReason(Fixtures.rawControl(.drain, drain), .invalidField)
        expectReason(Fixtures.rawReply { $0.status = .unspecified }, .invalidField)
        expectReason(Fixtures.rawReply(rows: nil) { $0.status = .error; $0.rows = 2 }, .invalidField)
        expectReason(Fixtures.rawReply { $0.hiddenSize = 8 }, .invalidField)
    }

    @Test("encode refuses inconsistent dispatches and replies")
    func encodeChecks() {
        var header = Fixtures.dispatchHeader
        header.totalRows = 4
        #expect(throws: WireError.segmentSumMismatch(segments: 3, totalRows: 4)) {
            try WireMessage.dispatch(header, rows: Fixtures.dispatchRows).encode()
        }
        #expect(throws: WireError.tensorSizeMismatch(expected: 128, actual: 192)) {
            try WireMessage.reply(Fixtures.reply, rows: Fixtures.dispatchRows).encode()
        }
        #expect(throws: WireError.missingFrames(kind: .reply, expected: 3, actual: 2)) {
            try WireMessage.reply(Fixtures.reply, rows: nil).encode()
        }
    }

    @Test("absurd sizes are an error, not an arithmetic trap")
    func overflow() {
        var reply = Fixtures.reply
        reply.rows = .max
        reply.hiddenSize = .max
        #expect(throws: WireError.self) { try WireMessage.reply(reply, rows: Fixtures.replyRows).encode() }
        expectReason(Fixtures.rawReply { $0.rows = .max; $0.hiddenSize = .max }, .invalidField)
    }

    @Test("every error maps to the reason whose explanation it shows")
    func reasonsCovered() {
        let errors: [WireError] = [
            .missingFrames(kind: nil, expected: 2, actual: 0), .extraFrames(kind: .dispatch, expected: 3, actual: 4),
            .badProtocolHeader(length: 3), .badMagic([0, 0, 0, 0]), .wrongVersion(peer: 2, ours: 1),
            .unknownKind(5), .badProtobuf(kind: .register, detail: "x"), .invalidField("x"),
            .tensorSizeMismatch(expected: 1, actual: 2), .segmentSumMismatch(segments: 1, totalRows: 2),
            .idOutOfRange(what: "layer", value: 1, bound: 1), .oversize(what: "rows", size: 2, limit: 1),
        ]
        let reasons = Set(errors.map(\.reason))
        #expect(reasons.count == errors.count)
        for error in errors { #expect(!error.description.isEmpty) }
    }
}
