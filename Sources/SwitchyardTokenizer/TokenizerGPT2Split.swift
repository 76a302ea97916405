import SwitchyardModel
/// GPT-2's pre-tokenizer pattern matched by hand on UTF-8, without regex or allocation:
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// The alternatives are tried in order at each position, as the regex engine does: a contraction,
/// then an optional space plus a run of letters, digits or other symbols, then whitespace (a run
/// of two or more before a non-space leaves its last character to the next piece).
enum TokenizerGPT2Split {
    enum CharacterClass: UInt8 {
        case letter, number, space, other
    }

    /// Classes of the ASCII characters.
    private static let asciiClasses: [CharacterClass] = (0..<128).map { value in
        classify(slow: Unicode.Scalar(UInt8(value)))
    }

    static func classify(slow scalar: Unicode.Scalar) -> CharacterClass {
        let properties = scalar.properties
        if properties.isWhitespace { return .space }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    /// The scalar starting at `index` of valid UTF-8, and its length in bytes.
    @inline(__always)
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (UInt32, Int) {
        let lead = UInt32(bytes[index])
        if lead < 0x80 { return (lead, 1) }
        if lead < 0xE0 { return ((lead & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F), 2) }
        if lead < 0xF0 {
            return ((lead & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6 | UInt32(bytes[index + 2] & 0x3F), 3)
        }
        return ((lead & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12 | UInt32(bytes[index + 2] & 0x3F) << 6
                | UInt32(bytes[index + 3] & 0x3F), 4)
    }

    @inline(__always)
    static func classify(_ value: UInt32) -> CharacterClass {
        value < 128 ? asciiClasses[Int(value)] : classify(slow: Unicode.Scalar(value) ?? "\u{FFFD}")
    }

    /// Calls `body` with the byte range of every piece of `bytes` (valid UTF-8), in order.
    static func forEachPiece(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        let count = bytes.count
        var index = 0
        while index < count {
            let start = index
            if bytes[index] == UInt8(ascii: "'"), let length = contractionLength(bytes, at: index) {
                index += length
                body(start..<index)
                continue
            }
            var (value, length) = decode(bytes, at: index)
            var kind = classify(value)
            if value == 0x20, index + 1 < count {
                let (next, nextLength) = decode(bytes, at: index + 1)
                let nextKind = classify(next)
                if nextKind != .space {
                    index += 1
                    (value, length, kind) = (next, nextLength, nextKind)
                }
            }
            if kind == .space && index == start {
                // \s+(?!\S) | \s+
                var end = index
                var lastStart = index
                while end < count {
                    let (scalar, scalarLength) = decode(bytes, at: end)
                    guard classify(scalar) == .space else { break }
                    lastStart = end
                    end += scalarLength
                }
                if end < count, lastStart > start { end = lastStart }
                index = end
                body(start..<index)
                continue
            }
            index += length
            while index < count {
                let (scalar, scalarLength) = decode(bytes, at: index)
                guard classify(scalar) == kind else { break }
                index += scalarLength
            }
            body(start..<index)
        }
    }

    /// 's 't 're 've 'm 'll 'd at `index` (which holds the apostrophe).
    @inline(__always)
    private static func contractionLength(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int? {
        guard index + 1 < bytes.count else { return nil }
        switch bytes[index + 1] {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"): return 2
        case UInt8(ascii: "r"), UInt8(ascii: "v"):
            return index + 2 < bytes.count && bytes[index + 2] == UInt8(ascii: "e") ? 3 : nil
        case UInt8(ascii: "l"):
            return index + 2 < bytes.count && bytes[index + 2] == UInt8(ascii: "l") ? 3 : nil
        default: return nil
        }
    }
}
