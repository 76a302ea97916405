import SwitchyardModel
import Foundation

/// Splits normalized text into pre-tokens before BPE, as the `pre_tokenizer` of `tokenizer.json` says.
package struct TokenizerPreTokenizer: @unchecked Sendable {
    /// GPT-2's split pattern (ByteLevel with `use_regex`).
    package static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    /// Where Metaspace puts a replacement character in front of a piece.
    package enum PrependScheme: String {
        case always, first, never
    }

    package enum Step {
        /// Split on a regex, keeping every piece (matches and the text between them) in order.
        case split(NSRegularExpression)
        /// Split with GPT-2's pattern (a `Split` step whose regex is exactly that pattern).
        case gpt2Split
        /// Split with Qwen2's (`maxDigits` 1) or Llama 3's (3) pattern, by hand.
        case qwenSplit(maxDigits: Int)
        /// Per piece: optionally prefix a space, optionally split with GPT-2's pattern
        /// (`TokenizerGPT2Split`); BPE then works on the bytes of each piece in the byte-level alphabet.
        case byteLevel(addPrefixSpace: Bool, gpt2Split: Bool)
        /// SentencePiece's whitespace handling: spaces become `replacement`, which is prepended as
        /// the scheme says (`first`: only to text at the very start of the input), and with
        /// `split` every replacement starts a new piece.
        case metaspace(replacement: String, prepend: PrependScheme, split: Bool)
    }

    package let steps: [Step]

    /// Whether BPE sees the bytes of each piece in the byte-level alphabet.
    package let isByteLevel: Bool
    /// A hand-written splitter that, followed by the byte-level mapping, is the whole
    /// pre-tokenizer; `Tokenizer` then runs it on byte ranges without building strings.
    package enum ByteRangeSplitter {
        case gpt2
        case qwen(maxDigits: Int)

        func forEachPiece(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
            switch self {
            case .gpt2: TokenizerGPT2Split.forEachPiece(bytes, body)
            case let .qwen(maxDigits): TokenizerQwenSplit.forEachPiece(bytes, maxDigits: maxDigits, body)
            }
        }
    }

    package let byteRangeSplitter: ByteRangeSplitter?

    package init(steps: [Step]) {
        self.steps = steps
        isByteLevel = steps.contains { if case .byteLevel = $0 { true } else { false } }
        var splitter: ByteRangeSplitter?
        switch (steps.first, steps.count) {
        case (.byteLevel(false, true)?, 1): splitter = .gpt2
        case (.gpt2Split?, 2): if case .byteLevel(false, false) = steps[1] { splitter = .gpt2 }
        case let (.qwenSplit(maxDigits)?, 2): if case .byteLevel(false, false) = steps[1] { splitter = .qwen(maxDigits: maxDigits) }
        default: break
        }
        byteRangeSplitter = splitter
    }

    /// The pre-tokens of `text` (raw text; the byte-level mapping is the BPE model's job).
    /// `atStart`: whether `text` begins at offset 0 of the input (Metaspace's `first` scheme).
    package func split(_ text: String, atStart: Bool) -> [String] {
        var pieces = [text]
        for step in steps {
            switch step {
            case let .split(regex):
                pieces = pieces.flatMap { Self.isolate($0, regex) }
            case .gpt2Split:
                pieces = pieces.flatMap(Self.gpt2Pieces)
            case let .qwenSplit(maxDigits):
                pieces = pieces.flatMap { Self.pieces($0, .qwen(maxDigits: maxDigits)) }
            case let .byteLevel(addPrefixSpace, gpt2Split):
                pieces = pieces.flatMap { piece -> [String] in
                    let prefixed = addPrefixSpace && !piece.utf8.starts(with: " ".utf8) ? " " + piece : piece
                    return gpt2Split ? Self.gpt2Pieces(prefixed) : [prefixed]
                }
            case let .metaspace(replacement, prepend, split):
                var result: [String] = []
                for (index, piece) in pieces.enumerated() {
                    var replaced = TokenizerText.replacing(piece, " ", with: replacement)
                    let prefixed = replaced.utf8.starts(with: replacement.utf8)
                    if !prefixed && (prepend == .always || (prepend == .first && atStart && index == 0)) {
                        replaced = replacement + replaced
                    }
                    if split { result += Self.splitBefore(replaced, replacement) } else { result.append(replaced) }
                }
                pieces = result
            }
        }
        return pieces
    }

    package static func gpt2Pieces(_ text: String) -> [String] { pieces(text, .gpt2) }

    package static func pieces(_ text: String, _ splitter: ByteRangeSplitter) -> [String] {
        var text = text
        return text.withUTF8 { bytes in
            var pieces: [String] = []
            splitter.forEachPiece(bytes) { pieces.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[$0]), as: UTF8.self)) }
            return pieces
        }
    }

    /// `text` cut in front of every occurrence of `delimiter` (tokenizers' `MergedWithNext`).
    package static func splitBefore(_ text: String, _ delimiter: String) -> [String] {
        let needle = Array(delimiter.utf8)
        let bytes = Array(text.utf8)
        var pieces: [String] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            if index > start, bytes[index] == needle[0], index + needle.count <= bytes.count,
               bytes[index..<(index + needle.count)].elementsEqual(needle) {
                pieces.append(String(decoding: bytes[start..<index], as: UTF8.self))
                start = index
                index += needle.count
                continue
            }
            index += 1
        }
        if start < bytes.count { pieces.append(String(decoding: bytes[start...], as: UTF8.self)) }
        return pieces
    }

    /// Every match of `regex` and every gap between matches, in order, empty pieces dropped.
    package static func isolate(_ text: String, _ regex: NSRegularExpression) -> [String] {
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
