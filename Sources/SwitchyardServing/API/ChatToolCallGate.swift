import Foundation

/// Decides, delta by delta, which content of an answer that may call tools can be sent at once.
///
/// Content flows until a tool-call marker (`<tool_call>`, `[TOOL_CALLS]`, `<|python_tag|>`) or an
/// answer that opens with `{` (Llama 3's bare JSON); from there everything is kept until the end,
/// when `ChatToolCallParser` reads the calls. A suffix that could begin a marker, and leading
/// whitespace, are held until the next delta decides them. Output that turns out not to be a call is
/// released as content at the end.
struct ChatToolCallGate {
    private enum State { case leading, flowing, capturing }

    private var state = State.leading
    private var pending = ""
    /// All content fed so far (what the parser reads at the end).
    private(set) var text = ""

    /// Adds a content delta; returns what may be sent now.
    mutating func feed(_ delta: String) -> String {
        text += delta
        pending += delta
        switch state {
        case .capturing:
            return ""
        case .leading:
            let trimmed = pending.drop { $0.isWhitespace }
            if trimmed.isEmpty { return "" }
            if trimmed.hasPrefix("{") {
                state = .capturing
                return ""
            }
            if ChatToolCallParser.markers.contains(where: { $0.hasPrefix(trimmed) && $0.count > trimmed.count }) { return "" }
            state = .flowing
            return flow()
        case .flowing:
            return flow()
        }
    }

    private mutating func flow() -> String {
        let found = ChatToolCallParser.markers.compactMap { pending.range(of: $0) }.min { $0.lowerBound < $1.lowerBound }
        if let found {
            let out = String(pending[..<found.lowerBound])
            pending = String(pending[found.lowerBound...])
            state = .capturing
            return out
        }
        let held = ChatToolCallParser.markers.map { ChatReasoningSplitter.heldBack(pending, marker: $0) }.max() ?? 0
        let out = String(pending.dropLast(held))
        pending = String(pending.suffix(held))
        return out
    }

    /// At the end: the calls (when the kept text parses as some), and any content still to send.
    mutating func finish() -> (content: String, calls: [ParsedToolCall], format: ChatToolCallParser.Format?) {
        defer { pending = "" }
        if state == .capturing, let result = ChatToolCallParser.parse(text) {
            return ("", result.calls, result.format)
        }
        return (pending, [], nil)
    }
}
