import SwitchyardModel
/// The pre-tokenizer pattern of Qwen2 (and, with up to three digits per piece, Llama 3) matched by
/// hand on UTF-8, as `TokenizerGPT2Split` does for GPT-2's:
///
///     (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,D}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
enum TokenizerQwenSplit {
    /// Qwen2's pattern (D = 1).
    static let qwenPattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    /// Llama 3's pattern (D = 3).
    static let llama3Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// The most digits per piece when `pattern` is one of the two, nil otherwise.
    static func maxDigits(ofPattern pattern: String) -> Int? {
        pattern == qwenPattern ? 1 : pattern == llama3Pattern ? 3 : nil
    }

    private typealias Split = TokenizerGPT2Split

    @inline(__always)
    private static func isNewline(_ value: UInt32) -> Bool { value == 0x0A || value == 0x0D }

    /// Calls `body` with the byte range of every piece of `bytes` (valid UTF-8), in order.
    static func forEachPiece(_ bytes: UnsafeBufferPointer<UInt8>, maxDigits: Int, _ body: (Range<Int>) -> Void) {
        let count = bytes.count
        var index = 0
        while index < count {
            let start = index
            if bytes[index] == UInt8(ascii: "'"), let length = contractionLength(bytes, at: index) {
                index += length
                body(start..<index)
                continue
            }
            let (value, length) = Split.decode(bytes, at: index)
            let kind = Split.classify(value)
            // [^\r\n\p{L}\p{N}]?\p{L}+
            var letters = -1
            if kind == .letter {
                letters = index
            } else if kind != .number, !isNewline(value), index + length < count,
                      Split.classify(Split.decode(bytes, at: index + length).0) == .letter {
                letters = index + length
            }
            if letters >= 0 {
                index = run(bytes, from: letters, of: .letter)
                body(start..<index)
                continue
            }
            // \p{N}{1,D}
            if kind == .number {
                index += length
                var digits = 1
                while digits < maxDigits, index < count {
                    let (next, nextLength) = Split.decode(bytes, at: index)
                    guard Split.classify(next) == .number else { break }
                    index += nextLength
                    digits += 1
                }
                body(start..<index)
                continue
            }
            //  ?[^\s\p{L}\p{N}]+[\r\n]*
            var symbols = -1
            if kind == .other {
                symbols = index
            } else if value == 0x20, index + 1 < count, Split.classify(Split.decode(bytes, at: index + 1).0) == .other {
                symbols = index + 1
            }
            if symbols >= 0 {
                index = run(bytes, from: symbols, of: .other)
                while index < count, bytes[index] == 0x0A || bytes[index] == 0x0D { index += 1 }
                body(start..<index)
                continue
            }
            // Whitespace: \s*[\r\n]+ | \s+(?!\S) | \s+
            var end = index
            var lastStart = index
            var afterLastNewline = -1
            while end < count {
                let (scalar, scalarLength) = Split.decode(bytes, at: end)
                guard Split.classify(scalar) == .space else { break }
                lastStart = end
                end += scalarLength
                if isNewline(scalar) { afterLastNewline = end }
            }
            if afterLastNewline >= 0 {
                end = afterLastNewline
            } else if end < count, lastStart > start {
                end = lastStart
            }
            index = end
            body(start..<index)
        }
    }

    private static func run(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, of kind: Split.CharacterClass) -> Int {
        var index = start
        while index < bytes.count {
            let (scalar, length) = Split.decode(bytes, at: index)
            guard Split.classify(scalar) == kind else { break }
            index += length
        }
        return index
    }

    /// 's 't 're 've 'm 'll 'd in any case at `index` (which holds the apostrophe).
    @inline(__always)
    private static func contractionLength(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int? {
        guard index + 1 < bytes.count else { return nil }
        func lower(_ offset: Int) -> UInt8 { bytes[index + offset] | 0x20 }
        switch lower(1) {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"): return 2
        case UInt8(ascii: "r"), UInt8(ascii: "v"):
            return index + 2 < bytes.count && lower(2) == UInt8(ascii: "e") ? 3 : nil
        case UInt8(ascii: "l"):
            return index + 2 < bytes.count && lower(2) == UInt8(ascii: "l") ? 3 : nil
        default: return nil
        }
    }
}
