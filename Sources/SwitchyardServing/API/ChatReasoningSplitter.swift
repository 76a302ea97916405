import Foundation

/// Splits the output of a reasoning model (one whose template writes `<think>`) into
/// `reasoning_content` and `content`, text delta by text delta.
///
/// Reasoning is what the output writes inside `<think>...</think>`; when the prompt already opened
/// the block (DeepSeek-R1's templates end with `<think>\n`), the output starts inside it. Newlines
/// around the reasoning, and those right after `</think>`, are dropped, as the templates themselves
/// drop them when they render an earlier answer. An unclosed block (the answer ran out of tokens) is
/// all reasoning. A suffix that could start a marker is held back until the next delta decides it.
struct ChatReasoningSplitter {
    static let open = "<think>"
    static let close = "</think>"

    enum State { case undecided, reasoning, content }

    private(set) var state: State
    private var pending = ""
    /// Nothing emitted yet in the current state (leading newlines are still dropped).
    private var atStart = true

    init(startsInReasoning: Bool) {
        state = startsInReasoning ? .reasoning : .undecided
    }

    /// Whether a rendered prompt leaves a `<think>` block open for the output to continue.
    static func startsInReasoning(prompt: String) -> Bool {
        guard let opened = prompt.range(of: open, options: .backwards) else { return false }
        guard let closed = prompt.range(of: close, options: .backwards) else { return true }
        return opened.lowerBound > closed.lowerBound
    }

    /// Adds a text delta; returns what may be sent now.
    mutating func feed(_ text: String) -> (reasoning: String, content: String) {
        pending += text
        var reasoning = "", content = ""
        while true {
            switch state {
            case .undecided:
                let trimmed = pending.drop { $0.isWhitespace }
                if trimmed.isEmpty || (trimmed.count < Self.open.count && Self.open.hasPrefix(trimmed)) { return (reasoning, content) }
                if trimmed.hasPrefix(Self.open) {
                    pending = String(trimmed.dropFirst(Self.open.count))
                    state = .reasoning
                } else {
                    state = .content
                }
                atStart = true
            case .reasoning:
                if atStart { pending = String(pending.drop { $0 == "\n" }) }
                if let end = pending.range(of: Self.close) {
                    reasoning += Self.trimTrailingNewlines(pending[..<end.lowerBound])
                    pending = String(pending[end.upperBound...])
                    state = .content
                    atStart = true
                    continue
                }
                let held = Self.heldBack(pending, marker: Self.close)
                let safe = Self.trimTrailingNewlines(pending.dropLast(held))
                if !safe.isEmpty { atStart = false }
                reasoning += safe
                pending = String(pending.dropFirst(safe.count))
                return (reasoning, content)
            case .content:
                if atStart { pending = String(pending.drop { $0 == "\n" }) }
                if !pending.isEmpty { atStart = false }
                content += pending
                pending = ""
                return (reasoning, content)
            }
        }
    }

    /// Whatever was held back, once the output is complete.
    mutating func finish() -> (reasoning: String, content: String) {
        defer { pending = "" }
        switch state {
        case .undecided: return ("", pending)
        case .reasoning: return (Self.trimTrailingNewlines(atStart ? Substring(pending.drop { $0 == "\n" }) : Substring(pending)), "")
        case .content: return ("", atStart ? String(pending.drop { $0 == "\n" }) : pending)
        }
    }

    /// Length of the longest suffix of `text` that is a proper prefix of `marker`.
    static func heldBack(_ text: String, marker: String) -> Int {
        var length = min(marker.count - 1, text.count)
        while length > 0 {
            if text.hasSuffix(marker.prefix(length)) { return length }
            length -= 1
        }
        return 0
    }

    static func trimTrailingNewlines(_ text: Substring) -> String {
        var end = text.endIndex
        while end > text.startIndex, text[text.index(before: end)] == "\n" { end = text.index(before: end) }
        return String(text[..<end])
    }
}
