import SwitchyardModel
/// Turns generated token ids into text incrementally without ever emitting half a UTF-8
/// character (see `IncrementalDetokenizer`). Ids outside the vocabulary add no text.
public struct TokenizerStreamDecoder: Sendable {
    private let tokenizer: Tokenizer
    private let skipSpecialTokens: Bool
    private var state = IncrementalDetokenizer()

    public init(tokenizer: Tokenizer, skipSpecialTokens: Bool = true) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
    }

    /// The text that `id` completes (possibly empty while a character is incomplete).
    public mutating func next(_ id: Int32) -> String {
        let (tokenizer, skip) = (self.tokenizer, skipSpecialTokens)
        return state.next(id) { tokenizer.decodeKnown($0, skipSpecialTokens: skip) }
    }

    /// Whatever is still held (an incomplete character at the end becomes U+FFFD).
    public mutating func finish() -> String {
        let (tokenizer, skip) = (self.tokenizer, skipSpecialTokens)
        return state.finish { tokenizer.decodeKnown($0, skipSpecialTokens: skip) }
    }
}

extension Tokenizer {
    /// The text of `ids`, leaving out ids outside the vocabulary (a model's padded vocabulary can
    /// be larger than its tokenizer's).
    public func decodeKnown(_ ids: some Collection<Int32>, skipSpecialTokens: Bool) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard let token = token(of: id), !(skipSpecialTokens && isSpecial(id)) else { continue }
            tokens.append(token)
        }
        return decoder.decode(tokens)
    }
}
