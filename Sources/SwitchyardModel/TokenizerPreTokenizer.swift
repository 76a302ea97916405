import Foundation

/// Splits text into pre-tokens before BPE, as the `pre_tokenizer` of `tokenizer.json` says.
struct TokenizerPreTokenizer: @unchecked Sendable {
    /// GPT-2's split pattern (ByteLevel with `use_regex`).
    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    enum Step {
        /// Split on a regex, keeping every piece (matches and the text between them) in order.
        case split(NSRegularExpression)
        /// Per piece: optionally prefix a space, optionally split with GPT-2's pattern, then map
        /// bytes to the byte-level alphabet.
        case byteLevel(addPrefixSpace: Bool, regex: NSRegularExpression?)
    }

    let steps: [Step]

    /// Whether pieces are mapped to the byte-level alphabet.
    var isByteLevel: Bool {
        steps.contains { if case .byteLevel = $0 { true } else { false } }
    }

    /// The pre-tokens of `text`, in the byte-level alphabet when a ByteLevel step is present.
    func split(_ text: String) -> [String] {
        var pieces = [text]
        for step in steps {
            switch step {
            case let .split(regex):
                pieces = pieces.flatMap { Self.isolate($0, regex) }
            case let .byteLevel(addPrefixSpace, regex):
                pieces = pieces.flatMap { piece -> [String] in
                    let prefixed = addPrefixSpace && !piece.hasPrefix(" ") ? " " + piece : piece
                    return regex.map { Self.isolate(prefixed, $0) } ?? [prefixed]
                }
            }
        }
        guard isByteLevel else { return pieces }
        return pieces.map { TokenizerByteLevel.encode($0.utf8) }
    }

    /// Every match of `regex` and every gap between matches, in order, empty pieces dropped.
    static func isolate(_ text: String, _ regex: NSRegularExpression) -> [String] {
        let string = text as NSString
        var pieces: [String] = []
        var last = 0
        for match in regex.matches(in: text, range: NSRange(location: 0, length: string.length)) where match.range.length > 0 {
            if match.range.location > last {
                pieces.append(string.substring(with: NSRange(location: last, length: match.range.location - last)))
            }
            pieces.append(string.substring(with: match.range))
            last = match.range.location + match.range.length
        }
        if last < string.length {
            pieces.append(string.substring(from: last))
        }
        return pieces
    }
}
