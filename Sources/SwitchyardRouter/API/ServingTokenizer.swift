/// What the HTTP API needs from a tokenizer: text in, text out.
///
/// Without one, the API takes prompts as token ids only and answers `text` fields with "".
public protocol ServingTokenizer: Sendable {
    /// Token ids of `text`, without special tokens added.
    func encode(_ text: String) throws -> [Int32]
    /// Text of `tokens`; bytes of an incomplete UTF-8 character at the end decode to U+FFFD.
    func decode(_ tokens: [Int32]) -> String
}

/// Turns a stream of tokens into text deltas for one choice, holding back text that may be the
/// start of a stop string or an incomplete UTF-8 character, and finding stop strings.
struct TextAccumulator {
    let tokenizer: (any ServingTokenizer)?
    let stopStrings: [String]
    private(set) var tokens: [Int32] = []
    /// Text already sent to the client.
    private(set) var emitted = ""
    /// True once a stop string was found; the text is cut before it.
    private(set) var stopped = false

    init(tokenizer: (any ServingTokenizer)?, stopStrings: [String]) {
        self.tokenizer = tokenizer
        self.stopStrings = stopStrings
    }

    /// Adds a token and returns the new text safe to send. `final` flushes what was held back.
    mutating func append(_ token: Int32, final: Bool) -> String {
        tokens.append(token)
        guard let tokenizer, !stopped else { return "" }
        var text = tokenizer.decode(tokens)
        for stop in stopStrings {
            if let range = text.range(of: stop) {
                text = String(text[..<range.lowerBound])
                stopped = true
            }
        }
        var safeEnd = text.endIndex
        if !final && !stopped {
            if text.hasSuffix("\u{FFFD}") { safeEnd = text.index(before: text.endIndex) }
            // Hold back a suffix that could begin a stop string.
            for stop in stopStrings {
                var length = min(stop.count - 1, text.distance(from: text.startIndex, to: safeEnd))
                while length > 0 {
                    let start = text.index(safeEnd, offsetBy: -length)
                    if stop.hasPrefix(text[start ..< safeEnd]) {
                        if start < safeEnd { safeEnd = min(safeEnd, start) }
                        break
                    }
                    length -= 1
                }
            }
        }
        let safe = String(text[..<safeEnd])
        guard safe.hasPrefix(emitted), safe.count > emitted.count else { return "" }
        let delta = String(safe.dropFirst(emitted.count))
        emitted = safe
        return delta
    }
}
