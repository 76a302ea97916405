import Testing
@testable import SwitchyardWire

@Suite("Drop counter, limits, protocol header")
struct CountersAndLimitsTests {
    @Test("counts by reason, totals, merges, describes")
    func counter() {
        var counter = DropCounter()
        #expect(counter.total == 0)
        #expect(counter.description == "no drops")
        counter.record(.badMagic)
        counter.record(.badMagic)
        counter.record(WireError.wrongVersion(peer: 2, ours: 1))
        #expect(counter[.badMagic] == 2)
        #expect(counter[.wrongVersion] == 1)
        #expect(counter[.oversize] == 0)
        #expect(counter.total == 3)
        #expect(counter.description == "bad_magic=2 wrong_version=1")
        var other = DropCounter()
        other.record(.oversize)
        counter.merge(other)
        #expect(counter.total == 4)
        #expect(counter.all.count == DropReason.allCases.count)
    }

    @Test("every reason has its own slot, label and explanation")
    func reasons() {
        for (index, reason) in DropReason.allCases.enumerated() {
            #expect(reason.slot == index)
            #expect(!reason.explanation.isEmpty)
            #expect(reason.label == reason.label.lowercased())
        }
        #expect(Set(DropReason.allCases.map(\.explanation)).count == DropReason.allCases.count)
    }

    @Test("counter drops a message decoded from garbage")
    func counterWithDecoder() {
        var counter = DropCounter()
        if let error = Fixtures.decodeError([.inline(Array("GET / HTTP/1.1".utf8))]) { counter.record(error) }
        #expect(counter[.badProtocolHeader] == 1)
    }

    @Test("MAXMSGSIZE covers the largest legal dispatch and nothing much bigger")
    func maxMessage() throws {
        let limits = Fixtures.limits
        let max = WireLimits.maxMessageBytes(for: limits)
        #expect(max >= limits.maxRows * limits.hiddenSize * 4 + WireFormat.protocolHeaderSize)
        #expect(max <= limits.maxRows * limits.hiddenSize * 4 + 64 * 1024)

        let rows = limits.maxRows
        var header = Fixtures.dispatchHeader
        header.segments = (0..<UInt32(limits.expertsPerLayer)).map { Fixtures.segment($0, UInt32(rows / limits.expertsPerLayer)) }
        header.totalRows = UInt32(rows)
        header.gateWeights = [Float](repeating: 0.125, count: rows)
        header.tokenSlots = (0..<UInt32(rows)).map { $0 }
        header.tokenCount = UInt32(rows)
        header.dispatchID = .max
        header.step = .max
        let frames = try WireMessage.dispatch(header, rows: TensorBytes(f32: [Float](repeating: 1, count: rows * 16))).encode()
        let total = frames.reduce(0) { $0 + $1.count }
        #expect(total <= max)
        #expect(frames[1].count <= WireLimits.maxHeaderBytes(for: limits))
        _ = try Fixtures.decoder.decode(frames)
    }

    @Test("a big model's cap: 1024 rows of 4096 floats is 16 MiB plus slack")
    func bigModel() throws {
        let limits = try ModelLimits(layers: 61, expertsPerLayer: 257, hiddenSize: 4096, maxRows: 1024)
        let max = WireLimits.maxMessageBytes(for: limits)
        #expect(max > 16 << 20)
        #expect(max < (16 << 20) + (1 << 20))
    }

    @Test("a full assignment of every expert fits the header cap")
    func fullAssignment() throws {
        let limits = try ModelLimits(layers: 61, expertsPerLayer: 257, hiddenSize: 64, maxRows: 8)
        var assignment = Switchyard_V1_Assignment()
        assignment.placementVersion = .max
        for layer in 0..<UInt32(61) {
            for expert in 0..<UInt32(257) {
                assignment.load.append(Fixtures.ref(layer, expert))
                assignment.drop.append(Fixtures.ref(layer, expert))
            }
        }
        let frames = try WireMessage.assignment(assignment).encode()
        #expect(frames[1].count <= WireLimits.maxHeaderBytes(for: limits))
        #expect(try WireDecoder(limits: limits).decode(frames) == .assignment(assignment))
    }

    @Test("model limits reject zero, negative and absurd values")
    func modelLimits() {
        #expect(throws: ModelLimitsError.self) { try ModelLimits(layers: 0, expertsPerLayer: 8, hiddenSize: 16, maxRows: 4) }
        #expect(throws: ModelLimitsError.self) { try ModelLimits(layers: 2, expertsPerLayer: -1, hiddenSize: 16, maxRows: 4) }
        #expect(throws: ModelLimitsError.self) { try ModelLimits(layers: 2, expertsPerLayer: 8, hiddenSize: 1 << 21, maxRows: 4) }
        #expect(throws: ModelLimitsError.self) { try ModelLimits(layers: 2, expertsPerLayer: 8, hiddenSize: 1 << 20, maxRows: 1 << 22) }
        #expect((try? ModelLimits(layers: 2, expertsPerLayer: 8, hiddenSize: 16, maxRows: 4)) != nil)
    }

    @Test("protocol header bytes and parse")
    func protocolHeader() throws {
        for kind in MessageKind.allCases {
            let bytes = ProtocolHeader(kind: kind).bytes
            #expect(bytes.count == WireFormat.protocolHeaderSize)
            let parsed = try bytes.withUnsafeBytes { (buffer) throws(WireError) in try ProtocolHeader.parse(buffer) }
            #expect(parsed == ProtocolHeader(kind: kind))
        }
    }

    @Test("fingerprint mismatch names the differing fields")
    func fingerprint() {
        let a = Fixtures.fingerprint
        #expect(a.mismatch(against: a) == nil)
        var b = a
        b.hiddenSize = 32
        b.digest = "fff"
        let text = a.mismatch(against: b)
        #expect(text?.contains("hidden size 16 vs 32") == true)
        #expect(text?.contains("digest abc123 vs fff") == true)
    }

    @Test("replies echo their dispatch and error text is bounded")
    func replies() {
        let header = Fixtures.dispatchHeader
        #expect(Fixtures.reply.answers(header))
        var other = header
        other.layer = 3
        #expect(!Fixtures.reply.answers(other))
        let failure = Switchyard_V1_DispatchReply.failure(answering: header, error: String(repeating: "é", count: 2000))
        #expect(failure.error.utf8.count <= WireLimits.maxTextBytes)
        #expect(failure.answers(header))
    }
}
