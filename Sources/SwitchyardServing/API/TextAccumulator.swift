import SwitchyardTokenizer
import SwitchyardModel

/// Turns a stream of tokens into text deltas for one choice: text arrives through an
/// `IncrementalDetokenizer` (never half a UTF-8 character), stop strings are searched in the new
/// text only, and a suffix that could begin a stop string is held back until it cannot.
/// Work per token does not grow with the length of the text.
struct TextAccumulator {
    let tokenizer: (any ServingTokenizer)?
    let stopStrings: [[UInt8]]
    private let longestStop: Int
    private var detokenizer = IncrementalDetokenizer()
    /// UTF-8 of all complete text so far (cut at the stop string once one is found).
    private var text: [UInt8] = []
    /// Bytes of `text` already searched for stop strings (a match may start up to
    /// `longestStop - 1` bytes before this).
    private var searched = 0
    /// Text already sent to the client.
    private(set) var emitted = ""
    private var emittedBytes = 0
    /// True once a stop string was found; the text is cut before it.
    private(set) var stopped = false

    init(tokenizer: (any ServingTokenizer)?, stopStrings: [String]) {
        self.tokenizer = tokenizer
        self.stopStrings = stopStrings.map { Array($0.utf8) }.filter { !$0.isEmpty }
        longestStop = self.stopStrings.map(\.count).max() ?? 0
    }

    /// Adds a token and returns the new text safe to send. `final` flushes what was held back.
    mutating func append(_ token: Int32, final: Bool) -> String {
        guard let tokenizer, !stopped else { return "" }
        text.append(contentsOf: detokenizer.next(token) { tokenizer.text(of: $0) }.utf8)
        if final { text.append(contentsOf: detokenizer.finish { tokenizer.text(of: $0) }.utf8) }
        if let stop = firstStop() {
            text.removeSubrange(stop...)
            stopped = true
        }
        searched = text.count
        let safeEnd = final || stopped ? text.count : text.count - heldBack()
        guard safeEnd > emittedBytes else { return "" }
        let delta = String(decoding: text[emittedBytes..<safeEnd], as: UTF8.self)
        emittedBytes = safeEnd
        emitted += delta
        return delta
    }

    /// Where the earliest stop string starts in the text not yet fully searched.
    private func firstStop() -> Int? {
        guard longestStop > 0 else { return nil }
        let from = max(0, searched - longestStop + 1)
        var best: Int?
        for stop in stopStrings where text.count >= stop.count {
            var index = from
            while index + stop.count <= text.count, index < (best ?? Int.max) {
                if text[index] == stop[0], text[index..<(index + stop.count)].elementsEqual(stop) {
                    best = index
                    break
                }
                index += 1
            }
        }
        return best
    }

    /// The length of the longest suffix of the text that is a proper prefix of a stop string.
    private func heldBack() -> Int {
        var held = 0
        for stop in stopStrings {
            var length = min(stop.count - 1, text.count - emittedBytes)
            while length > held {
                if text[(text.count - length)...].elementsEqual(stop[0..<length]) {
                    held = length
                    break
                }
                length -= 1
            }
        }
        return held
    }
}
