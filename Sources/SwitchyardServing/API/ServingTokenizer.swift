import SwitchyardTokenizer
import SwitchyardModel

/// What the HTTP API needs from a tokenizer: text in, text out.
///
/// Without one, the API takes prompts as token ids only and answers `text` fields with "".
public protocol ServingTokenizer: Sendable {
    /// Token ids of `text`; `addSpecialTokens` adds BOS/EOS as the tokenizer's config says.
    func encode(_ text: String, addSpecialTokens: Bool) throws -> [Int32]
    /// Text of `tokens`, special tokens left out; an incomplete UTF-8 character at the end
    /// decodes to U+FFFD.
    func text(of tokens: ArraySlice<Int32>) -> String
    /// One token as `logprobs.tokens` shows it: its text, or `bytes:\xNN` when it is part of a
    /// UTF-8 character (as OpenAI writes them).
    func tokenName(_ token: Int32) -> String
    /// Text of `tokens` keeping the special tokens in `keep` (chat output keeps the markers its
    /// tool-call parsers read, such as Mistral's `[TOOL_CALLS]`). Defaults to `text(of:)`.
    func text(of tokens: ArraySlice<Int32>, keepingSpecial keep: Set<Int32>) -> String
    /// The id of the special token spelled `content`, nil when there is none. Defaults to nil.
    func specialTokenID(_ content: String) -> Int32?
    /// The bytes a token stands for (chat logprobs' `bytes`). Defaults to its name's UTF-8.
    func tokenBytes(_ token: Int32) -> [UInt8]?
}

extension Tokenizer: ServingTokenizer {
    public func text(of tokens: ArraySlice<Int32>) -> String {
        decodeKnown(tokens, skipSpecialTokens: true)
    }

    public func tokenName(_ token: Int32) -> String {
        guard let bytes = bytes(of: token) else { return "token_id:\(token)" }
        if let text = String(validatingUTF8Bytes: bytes) { return text }
        return "bytes:" + bytes.map { "\\x" + String($0, radix: 16, uppercase: false).leftPadded(to: 2) }.joined()
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
