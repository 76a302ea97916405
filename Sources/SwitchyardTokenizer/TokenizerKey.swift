import SwitchyardModel
/// A token string compared by its exact UTF-8 bytes, for vocabulary and cache keys. Swift's
/// `String ==` is canonical equivalence ("e\u{301}" == "é"), which would map a decomposed word
/// onto a precomposed token.
package struct TokenizerKey: Hashable, Sendable {
    package let text: String

    package init(_ text: String) { self.text = text }

    package init(_ text: Substring) { self.text = String(text) }

    package static func == (lhs: TokenizerKey, rhs: TokenizerKey) -> Bool {
        lhs.text.utf8.elementsEqual(rhs.text.utf8)
    }

    package func hash(into hasher: inout Hasher) {
        var copy = text
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
