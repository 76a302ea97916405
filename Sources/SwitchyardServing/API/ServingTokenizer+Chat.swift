import SwitchyardTokenizer

extension ServingTokenizer {
    public func text(of tokens: ArraySlice<Int32>, keepingSpecial keep: Set<Int32>) -> String { text(of: tokens) }
    public func specialTokenID(_ content: String) -> Int32? { nil }
    public func tokenBytes(_ token: Int32) -> [UInt8]? { Array(tokenName(token).utf8) }
}

extension Tokenizer {
    public func text(of tokens: ArraySlice<Int32>, keepingSpecial keep: Set<Int32>) -> String {
        if keep.isEmpty || !tokens.contains(where: keep.contains) { return text(of: tokens) }
        return decodeKnown(tokens.filter { keep.contains($0) || !isSpecial($0) }, skipSpecialTokens: false)
    }

    public func specialTokenID(_ content: String) -> Int32? {
        guard let id = id(of: content), isSpecial(id) else { return nil }
        return id
    }

    public func tokenBytes(_ token: Int32) -> [UInt8]? { bytes(of: token) }
}

/// A tokenizer whose `text(of:)` keeps the given special tokens: what chat output is decoded
/// with, so tool-call markers that are special tokens reach the parsers.
struct MarkerKeepingTokenizer: ServingTokenizer {
    let base: any ServingTokenizer
    let keep: Set<Int32>

    /// Keeps those of `markers` that are special tokens of `base`; nil when none is.
    static func wrapping(_ base: any ServingTokenizer, markers: [String]) -> MarkerKeepingTokenizer? {
        let keep = Set(markers.compactMap { base.specialTokenID($0) })
        return keep.isEmpty ? nil : MarkerKeepingTokenizer(base: base, keep: keep)
    }

    func encode(_ text: String, addSpecialTokens: Bool) throws -> [Int32] { try base.encode(text, addSpecialTokens: addSpecialTokens) }
    func text(of tokens: ArraySlice<Int32>) -> String { base.text(of: tokens, keepingSpecial: keep) }
    func tokenName(_ token: Int32) -> String { base.tokenName(token) }
    func tokenBytes(_ token: Int32) -> [UInt8]? { base.tokenBytes(token) }
}
