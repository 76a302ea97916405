/// An incremental parser for `text/event-stream` (the WHATWG server-sent events format).
///
/// Bytes arrive in whatever pieces the network delivers; `feed` may split a line or a CRLF anywhere
/// and the events come out the same. Lines end in LF, CRLF or CR; lines starting with `:` are comments;
/// one space after a field's colon is dropped; an event is dispatched at a blank line when it has data.
public struct SSEParser: Sendable {
    /// Thrown when one line grows past `maxLineBytes` (a server streaming garbage without newlines).
    public struct LineTooLong: Error, Sendable, Equatable {
        public let limit: Int
    }

    /// The longest line accepted, in bytes.
    public let maxLineBytes: Int

    private var line: [UInt8] = []
    private var lastWasCR = false
    private var atStart = true
    private var data: [UInt8] = []
    private var hasData = false
    private var eventType: String?
    private var lastID: String?

    public init(maxLineBytes: Int = 8 << 20) {
        self.maxLineBytes = maxLineBytes
        line.reserveCapacity(1024)
        data.reserveCapacity(1024)
    }

    /// Consumes the next bytes of the stream and appends every event they complete to `events`.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes, into events: inout [SSEEvent]) throws(LineTooLong)
    where Bytes.Element == UInt8 {
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\n"):
                if lastWasCR {
                    lastWasCR = false  // second half of a CRLF: the line already ended at CR
                } else {
                    endLine(into: &events)
                }
            case UInt8(ascii: "\r"):
                endLine(into: &events)
                lastWasCR = true
            default:
                lastWasCR = false
                if line.count >= maxLineBytes { throw LineTooLong(limit: maxLineBytes) }
                line.append(byte)
            }
        }
    }

    /// Ends the stream: an event still missing its closing blank line is dispatched rather than lost
    /// (lenient towards servers that close right after the last `data:` line).
    public mutating func finish() -> SSEEvent? {
        var events: [SSEEvent] = []
        if !line.isEmpty { endLine(into: &events) }
        endLine(into: &events)
        return events.first
    }

    private mutating func endLine(into events: inout [SSEEvent]) {
        defer { line.removeAll(keepingCapacity: true) }
        if atStart {
            atStart = false
            if line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }
        }
        if line.isEmpty {
            dispatch(into: &events)
            return
        }
        if line[0] == UInt8(ascii: ":") { return }
        let colon = line.firstIndex(of: UInt8(ascii: ":"))
        let nameEnd = colon ?? line.endIndex
        var valueStart = colon.map { $0 + 1 } ?? line.endIndex
        if valueStart < line.endIndex, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        let name = line[..<nameEnd]
        let value = line[valueStart...]
        if name.elementsEqual("data".utf8) {
            if hasData { data.append(UInt8(ascii: "\n")) }
            data.append(contentsOf: value)
            hasData = true
        } else if name.elementsEqual("event".utf8) {
            eventType = String(decoding: value, as: UTF8.self)
        } else if name.elementsEqual("id".utf8) {
            if !value.contains(0) { lastID = String(decoding: value, as: UTF8.self) }
        }
        // "retry" and unknown fields are ignored, as the format requires.
    }

    private mutating func dispatch(into events: inout [SSEEvent]) {
        defer {
            data.removeAll(keepingCapacity: true)
            hasData = false
            eventType = nil
        }
        guard hasData else { return }
        let type = eventType.flatMap { $0.isEmpty ? nil : $0 } ?? "message"
        events.append(SSEEvent(type: type, data: String(decoding: data, as: UTF8.self), id: lastID))
    }
}
