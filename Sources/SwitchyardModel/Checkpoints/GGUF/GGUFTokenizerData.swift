/// Tokenizer data stored in a GGUF file (`tokenizer.*` keys), validated but not
/// interpreted: building the actual tokenizer happens elsewhere.
public struct GGUFTokenizerData: Sendable, Equatable {
    /// `tokenizer.ggml.model`.
    public enum Model: String, Sendable, CaseIterable {
        /// Byte-level BPE (GPT-2 style, with merges).
        case gpt2
        /// SentencePiece-style (scores, byte tokens).
        case llama
    }

    /// `tokenizer.ggml.token_type` values (llama.cpp `llama_token_type`).
    public enum TokenType: Int32, Sendable {
        case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    public var model: Model
    /// `tokenizer.ggml.pre`: pre-tokenizer name, e.g. "smollm", "qwen2", "llama-bpe".
    public var pre: String?
    public var tokens: [String]
    /// One score per token, if present.
    public var scores: [Float]?
    /// One raw token type per token, if present (see `TokenType`).
    public var tokenTypes: [Int32]?
    /// BPE merges ("left right"); required for `gpt2`.
    public var merges: [String]
    public var bosTokenID: Int?
    public var eosTokenID: Int?
    public var eotTokenID: Int?
    public var eomTokenID: Int?
    public var unknownTokenID: Int?
    public var paddingTokenID: Int?
    public var separatorTokenID: Int?
    public var addBOSToken: Bool?
    public var addEOSToken: Bool?
    public var addSpacePrefix: Bool?
    /// `tokenizer.chat_template`.
    public var chatTemplate: String?
    /// `tokenizer.chat_template.NAME` entries by NAME (e.g. "tool_use").
    public var namedChatTemplates: [String: String]

    public var vocabularySize: Int { tokens.count }

    public init(metadata m: GGUFMetadata) throws {
        func bad(_ key: String, _ why: String) -> GGUFError {
            GGUFError(.invalidTokenizerData, file: m.file, key: key, why)
        }
        let modelKey = "tokenizer.ggml.model"
        let modelName = try m.requireString(modelKey)
        guard let model = Model(rawValue: modelName) else {
            throw GGUFError(.unsupportedTokenizerModel, file: m.file, key: modelKey,
                            "tokenizer model '\(modelName)' is not supported; supported: \(Model.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.model = model
        pre = try m.string("tokenizer.ggml.pre")
        guard let tokens = try m.stringArray("tokenizer.ggml.tokens") else { throw m.missing("tokenizer.ggml.tokens") }
        guard !tokens.isEmpty else { throw bad("tokenizer.ggml.tokens", "token list is empty") }
        self.tokens = tokens
        let n = tokens.count

        scores = try m.floatArray("tokenizer.ggml.scores")
        if let s = scores, s.count != n {
            throw bad("tokenizer.ggml.scores", "has \(s.count) entries but there are \(n) tokens")
        }
        if let types = try m.intArray("tokenizer.ggml.token_type") {
            guard types.count == n else {
                throw bad("tokenizer.ggml.token_type", "has \(types.count) entries but there are \(n) tokens")
            }
            if let i = types.firstIndex(where: { TokenType(rawValue: Int32(clamping: $0)) == nil }) {
                throw bad("tokenizer.ggml.token_type", "token \(i) has unknown type \(types[i])")
            }
            tokenTypes = types.map { Int32($0) }
        } else {
            tokenTypes = nil
        }
        merges = try m.stringArray("tokenizer.ggml.merges") ?? []
        if model == .gpt2 && merges.isEmpty {
            throw bad("tokenizer.ggml.merges", "a gpt2 (BPE) tokenizer needs merges")
        }
        if let i = merges.firstIndex(where: { m in
            guard let sp = m.firstIndex(of: " ") else { return true }
            return sp == m.startIndex || m.index(after: sp) == m.endIndex
        }) {
            throw bad("tokenizer.ggml.merges", "merge \(i) ('\(merges[i])') is not of the form 'left right'")
        }

        func id(_ suffix: String) throws -> Int? {
            let key = "tokenizer.ggml.\(suffix)"
            guard let v = try m.int(key) else { return nil }
            guard v >= 0, v < n else { throw bad(key, "token id \(v) is out of range 0..<\(n)") }
            return v
        }
        bosTokenID = try id("bos_token_id")
        eosTokenID = try id("eos_token_id")
        eotTokenID = try id("eot_token_id")
        eomTokenID = try id("eom_token_id")
        unknownTokenID = try id("unknown_token_id")
        paddingTokenID = try id("padding_token_id")
        separatorTokenID = try id("seperator_token_id")
        addBOSToken = try m.bool("tokenizer.ggml.add_bos_token")
        addEOSToken = try m.bool("tokenizer.ggml.add_eos_token")
        addSpacePrefix = try m.bool("tokenizer.ggml.add_space_prefix")
        chatTemplate = try m.string("tokenizer.chat_template")
        var named: [String: String] = [:]
        let prefix = "tokenizer.chat_template."
        for key in m.keys where key.hasPrefix(prefix) {
            named[String(key.dropFirst(prefix.count))] = try m.string(key)
        }
        namedChatTemplates = named
    }
}
