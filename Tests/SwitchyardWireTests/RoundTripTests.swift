import Testing
@testable import SwitchyardWire

@Suite("Round trips")
struct RoundTripTests {
    @Test("every message kind survives encode and decode", arguments: Fixtures.allMessages)
    func roundTrip(message: WireMessage) throws {
        let frames = try message.encode()
        let decoded = try Fixtures.decoder.decode(frames)
        #expect(decoded == message)
        #expect(decoded.kind == message.kind)
    }

    @Test("every kind is covered by the fixtures")
    func coverage() {
        let kinds = Set(Fixtures.allMessages.map(\.kind))
        #expect(kinds == Set(MessageKind.allCases))
    }

    @Test("frame layout: protocol header, protobuf, rows by reference")
    func layout() throws {
        let rows = Fixtures.dispatchRows
        let frames = try WireMessage.dispatch(Fixtures.dispatchHeader, rows: rows).encode()
        #expect(frames.count == 3)
        #expect(frames[0] == .inline([0x53, 0x57, 0x59, 0x44, 1, 0, 16, 0]))
        guard case .tensor(let sent) = frames[2] else {
            Issue.record("rows frame is not a tensor frame")
            return
        }
        #expect(sent.baseAddress == rows.baseAddress, "rows must be sent by reference, not copied")
        #expect(frames.count == 3)
    }

    @Test("decoded rows refer to the received frame without copying")
    func decodeNoCopy() throws {
        let rows = Fixtures.dispatchRows
        let frames = try WireMessage.dispatch(Fixtures.dispatchHeader, rows: rows).encode()
        guard case .dispatch(_, let received) = try Fixtures.decoder.decode(frames) else {
            Issue.record("not a dispatch")
            return
        }
        #expect(received.baseAddress == rows.baseAddress)
        #expect(received.floats(as: .f32) == Fixtures.floats(48))
    }

    @Test("control messages have exactly two frames")
    func controlFrames() throws {
        for message in Fixtures.allMessages where message.kind.isControl {
            #expect(try message.encode().count == 2)
        }
    }

    @Test("bf16 dispatch round trip")
    func bf16() throws {
        var header = Fixtures.dispatchHeader
        header.dtype = .bf16
        let values = Fixtures.floats(48)
        let rows = TensorBytes(bf16: values)
        let decoded = try Fixtures.decoder.decode(try WireMessage.dispatch(header, rows: rows).encode())
        guard case .dispatch(let h, let r) = decoded else {
            Issue.record("not a dispatch")
            return
        }
        #expect(h.dtype == .bf16)
        #expect(r.count == 48 * 2)
        #expect(r.floats(as: .bf16) == values, "multiples of 0.5 below 256 are exact in bf16")
    }

    @Test("received frames wrapped as tensors decode like inline ones")
    func tensorFramesEverywhere() throws {
        for message in Fixtures.allMessages {
            let frames = try message.encode().map { FrameBytes.tensor($0.tensorBytes) }
            #expect(try Fixtures.decoder.decode(frames) == message)
        }
    }
}

@Suite("Log summaries")
struct SummaryTests {
    @Test("summaries name the kind and ids, never the rows")
    func summaries() {
        for message in Fixtures.allMessages {
            #expect(message.description.hasPrefix(message.kind.description))
        }
        let dispatch = WireMessage.dispatch(Fixtures.dispatchHeader, rows: Fixtures.dispatchRows)
        #expect(dispatch.description == "dispatch id=99 step=12 mb=1 layer=2 segments=2 rows=3 tokens=2 f32 bytes=192")
    }
}
