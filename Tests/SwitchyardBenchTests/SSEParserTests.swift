import Testing
@testable import SwitchyardBench

@Suite("SSE parser")
struct SSEParserTests {
    static let stream = Array((
        ": keep-alive comment\r\n"
            + "data: {\"a\":1}\r\n\r\n"
            + "event: update\n"
            + "id: 7\n"
            + "data: line one\n"
            + "data:line two\n\n"
            + "retry: 100\n"
            + "data: cr only\r\r"
            + "data\n\n"
            + "data: [DONE]\n\n"
    ).utf8)

    static let expected = [
        SSEEvent(data: "{\"a\":1}"),
        SSEEvent(type: "update", data: "line one\nline two", id: "7"),
        SSEEvent(data: "cr only", id: "7"),
        SSEEvent(data: "", id: "7"),
        SSEEvent(data: "[DONE]", id: "7"),
    ]

    static func parse(_ pieces: [ArraySlice<UInt8>]) throws -> [SSEEvent] {
        var parser = SSEParser()
        var events: [SSEEvent] = []
        for piece in pieces { try parser.feed(piece, into: &events) }
        if let last = parser.finish() { events.append(last) }
        return events
    }

    @Test("whole stream at once")
    func wholeStream() throws {
        #expect(try Self.parse([Self.stream[...]]) == Self.expected)
    }

    @Test("split in two at every byte boundary")
    func everySplit() throws {
        for cut in 0...Self.stream.count {
            let events = try Self.parse([Self.stream[..<cut], Self.stream[cut...]])
            #expect(events == Self.expected, "split at \(cut)")
        }
    }

    @Test("one byte at a time")
    func byteByByte() throws {
        #expect(try Self.parse(Self.stream.indices.map { Self.stream[$0...$0] }) == Self.expected)
    }

    @Test("a blank line without data dispatches nothing; comments are skipped")
    func commentsOnly() throws {
        #expect(try Self.parse([Array(":ping\n\n\n:another\r\n\r\n".utf8)[...]]).isEmpty)
    }

    @Test("a last event without its blank line is still delivered at the end")
    func unterminated() throws {
        #expect(try Self.parse([Array("data: tail".utf8)[...]]) == [SSEEvent(data: "tail")])
    }

    @Test("a byte-order mark at the start is ignored")
    func byteOrderMark() throws {
        #expect(try Self.parse([([0xEF, 0xBB, 0xBF] + Array("data: x\n\n".utf8))[...]]) == [SSEEvent(data: "x")])
    }

    @Test("an endless line is rejected, not buffered forever")
    func lineTooLong() {
        var parser = SSEParser(maxLineBytes: 16)
        var events: [SSEEvent] = []
        #expect(throws: SSEParser.LineTooLong.self) {
            try parser.feed(Array(repeating: UInt8(ascii: "x"), count: 17), into: &events)
        }
    }
}
