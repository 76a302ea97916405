/// A token string compared by its exact UTF-8 bytes, for vocabulary and cache keys. Swift's
/// `String ==` is canonical equivalence ("e\u{301}" == "é"), which would map a decomposed word
/// onto a precomposed token.
struct TokenizerKey: Hashable, Sendable {
    let text: String

    init(_ text: String) { self.text = text }

    init(_ text: Substring) { self.text = String(text) }

    static func == (lhs: TokenizerKey, rhs: TokenizerKey) -> Bool {
        lhs.text.utf8.elementsEqual(rhs.text.utf8)
    }

    func hash(into hasher: inout Hasher) {
        var copy = text
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
