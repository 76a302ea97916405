import Foundation

/// A Hugging Face `tokenizer.json` tokenizer (byte-level BPE: GPT-2, Qwen, OLMoE style):
/// text to token ids and back, with added/special tokens and BOS/EOS from `tokenizer_config.json`.
///
/// Immutable apart from a lock-guarded cache of pre-token encodings, so one instance is shared by
/// every request.
public final class Tokenizer: @unchecked Sendable {
    let model: TokenizerBPE
    let preTokenizer: TokenizerPreTokenizer
    let addedTokens: TokenizerAddedTokens
    /// id -> token string (vocabulary and added tokens).
    let idToToken: [String?]
    /// Ids of added tokens, for decoding them verbatim.
    let addedByID: [Int32: TokenizerAddedTokens.Token]
    /// Whether token strings are in the byte-level alphabet.
    let byteLevelDecoding: Bool

    /// Beginning/end-of-sequence ids named by `tokenizer_config.json` (nil when it names none).
    public let bosTokenID: Int32?
    public let eosTokenID: Int32?
    /// Whether `encode(_:addSpecialTokens: true)` adds BOS / EOS.
    public let addsBOS: Bool
    public let addsEOS: Bool

    private let cacheLock = NSLock()
    private var cache: [String: [Int32]] = [:]
    private static let cacheLimit = 100_000

    init(model: TokenizerBPE, preTokenizer: TokenizerPreTokenizer, addedTokens: [TokenizerAddedTokens.Token],
         bosTokenID: Int32?, eosTokenID: Int32?, addsBOS: Bool, addsEOS: Bool, byteLevelDecoding: Bool) {
        self.model = model
        self.preTokenizer = preTokenizer
        self.addedTokens = TokenizerAddedTokens(addedTokens)
        let size = max(Int(model.vocab.values.max() ?? -1), Int(addedTokens.map(\.id).max() ?? -1)) + 1
        var table = [String?](repeating: nil, count: size)
        for (token, id) in model.vocab where id >= 0 { table[Int(id)] = token }
        var byID: [Int32: TokenizerAddedTokens.Token] = [:]
        for token in addedTokens {
            table[Int(token.id)] = String(decoding: token.content, as: UTF8.self)
            byID[token.id] = token
        }
        idToToken = table
        addedByID = byID
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.addsBOS = addsBOS
        self.addsEOS = addsEOS
        self.byteLevelDecoding = byteLevelDecoding
    }

    /// Size of the id space (vocabulary plus added tokens).
    public var vocabSize: Int { idToToken.count }

    /// The id of a token string (vocabulary or added token).
    public func id(of token: String) -> Int32? {
        if let id = model.vocab[token] { return id }
        let bytes = Array(token.utf8)
        return addedTokens.tokens.first { $0.content == bytes }?.id
    }

    /// The token string of an id (byte-level alphabet for vocabulary tokens).
    public func token(of id: Int32) -> String? {
        guard id >= 0, Int(id) < idToToken.count else { return nil }
        return idToToken[Int(id)]
    }

    /// Whether `id` is a special added token (BOS, EOS, chat markers...).
    public func isSpecial(_ id: Int32) -> Bool {
        addedByID[id]?.special ?? false
    }

    /// The ids of `text`. Added tokens in the text are recognised; `addSpecialTokens` adds BOS/EOS
    /// as `tokenizer_config.json` says.
    public func encode(_ text: String, addSpecialTokens: Bool = false) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(text.utf8.count / 3 + 2)
        if addSpecialTokens, addsBOS, let bosTokenID { ids.append(bosTokenID) }
        for segment in addedTokens.segments(Array(text.utf8)) {
            switch segment {
            case let .token(id):
                ids.append(id)
            case let .text(bytes):
                for piece in preTokenizer.split(String(decoding: bytes, as: UTF8.self)) {
                    encodePiece(piece, into: &ids)
                }
            }
        }
        if addSpecialTokens, addsEOS, let eosTokenID { ids.append(eosTokenID) }
        return ids
    }

    /// The text of `ids`; ids outside the vocabulary are an error. Invalid UTF-8 becomes U+FFFD.
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool = false) throws -> String {
        var bytes: [UInt8] = []
        for id in ids {
            guard id >= 0, Int(id) < idToToken.count, idToToken[Int(id)] != nil else {
                throw TokenizerError.unknownID(id, vocabSize: vocabSize)
            }
            appendBytes(of: id, skipSpecialTokens: skipSpecialTokens, to: &bytes)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the UTF-8 bytes `id` stands for (nothing for an unknown id or a skipped special token).
    func appendBytes(of id: Int32, skipSpecialTokens: Bool, to bytes: inout [UInt8]) {
        if let added = addedByID[id] {
            if !(skipSpecialTokens && added.special) { bytes.append(contentsOf: added.content) }
            return
        }
        guard let token = token(of: id) else { return }
        if byteLevelDecoding {
            TokenizerByteLevel.decode(token, into: &bytes)
        } else {
            bytes.append(contentsOf: token.utf8)
        }
    }

    private func encodePiece(_ piece: String, into ids: inout [Int32]) {
        cacheLock.lock()
        let cached = cache[piece]
        cacheLock.unlock()
        if let cached {
            ids.append(contentsOf: cached)
            return
        }
        var encoded: [Int32] = []
        model.encode(piece, into: &encoded)
        ids.append(contentsOf: encoded)
        cacheLock.lock()
        if cache.count >= Self.cacheLimit { cache.removeAll(keepingCapacity: true) }
        cache[piece] = encoded
        cacheLock.unlock()
    }
}
