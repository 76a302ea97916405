import SwitchyardModel
/// The added tokens of a tokenizer (special and not), matched in raw text before pre-tokenization.
struct TokenizerAddedTokens: Sendable {
    struct Token: Sendable {
        var id: Int32
        var content: [UInt8]
        var special: Bool
        var lstrip: Bool
        var rstrip: Bool
    }

    /// A text segment: plain text for BPE, or one added token.
    enum Segment: Equatable {
        case text(ArraySlice<UInt8>)
        case token(Int32)
    }

    let tokens: [Token]
    /// Tokens by first byte, longest first.
    private let byFirstByte: [[Int]]

    init(_ tokens: [Token]) {
        self.tokens = tokens
        var index = [[Int]](repeating: [], count: 256)
        for (position, token) in tokens.enumerated() where !token.content.isEmpty {
            index[Int(token.content[0])].append(position)
        }
        for key in index.indices {
            index[key].sort { tokens[$0].content.count > tokens[$1].content.count }
        }
        byFirstByte = index
    }

    /// Splits UTF-8 `text` into plain runs and added tokens (longest match at the earliest position).
    func segments(_ text: [UInt8]) -> [Segment] {
        guard !tokens.isEmpty else { return [.text(text[...])] }
        var segments: [Segment] = []
        var start = 0
        var position = 0
        while position < text.count {
            let candidates = byFirstByte[Int(text[position])]
            guard !candidates.isEmpty,
                  let match = candidates.first(where: { Self.matches(text, at: position, tokens[$0].content) }) else {
                position += 1
                continue
            }
            let token = tokens[match]
            var end = position
            if token.lstrip { while end > start, Self.isSpace(text[end - 1]) { end -= 1 } }
            if end > start { segments.append(.text(text[start..<end])) }
            segments.append(.token(token.id))
            position += token.content.count
            if token.rstrip { while position < text.count, Self.isSpace(text[position]) { position += 1 } }
            start = position
        }
        if start < text.count { segments.append(.text(text[start...])) }
        return segments
    }

    private static func matches(_ text: [UInt8], at position: Int, _ content: [UInt8]) -> Bool {
        guard position + content.count <= text.count else { return false }
        for offset in 0..<content.count where text[position + offset] != content[offset] { return false }
        return true
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
