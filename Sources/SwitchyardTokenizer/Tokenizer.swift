import SwitchyardModel
import Foundation

/// A Hugging Face `tokenizer.json` tokenizer: text to token ids and back, with added/special
/// tokens and BOS/EOS from `tokenizer_config.json` and the post-processor. It reads byte-level BPE
/// (GPT-2, Qwen, OLMoE) and SentencePiece-style BPE with byte fallback (Llama, Mistral, Mixtral).
///
/// The pipeline is the `tokenizers` package's: added tokens are cut out of the raw text; each run
/// between them is normalized, pre-tokenized and encoded by the BPE model; decoding maps ids to
/// token strings and runs the decoder steps.
///
/// Immutable apart from a thread-safe cache of pre-token encodings, so one instance is shared by
/// every request.
public final class Tokenizer: Sendable {
    let model: TokenizerBPE
    let normalizer: TokenizerNormalizer
    let preTokenizer: TokenizerPreTokenizer
    let decoder: TokenizerDecoder
    let addedTokens: TokenizerAddedTokens
    /// id -> token string (vocabulary and added tokens).
    let idToToken: [String?]
    /// Ids of added tokens, for decoding them verbatim.
    let addedByID: [Int32: TokenizerAddedTokens.Token]
    /// The id of each byte's one-character token in the byte-level alphabet (-1 when absent).
    let byteLevelIDs: [Int32]

    /// Beginning/end-of-sequence ids named by `tokenizer_config.json` or the post-processor.
    public let bosTokenID: Int32?
    public let eosTokenID: Int32?
    /// Ids `encode(_:addSpecialTokens: true)` puts before and after the text.
    public let prefixIDs: [Int32]
    public let suffixIDs: [Int32]

    /// Encodings of recent pre-tokens (a whole SentencePiece segment can be one; long ones are not cached).
    private let cache = TokenizerWordCache()

    init(model: TokenizerBPE, normalizer: TokenizerNormalizer, preTokenizer: TokenizerPreTokenizer, decoder: TokenizerDecoder,
         addedTokens: [TokenizerAddedTokens.Token], bosTokenID: Int32?, eosTokenID: Int32?, prefixIDs: [Int32], suffixIDs: [Int32]) {
        self.model = model
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.decoder = decoder
        self.addedTokens = TokenizerAddedTokens(addedTokens)
        let size = max(Int(model.vocab.values.max() ?? -1), Int(addedTokens.map(\.id).max() ?? -1)) + 1
        var table = [String?](repeating: nil, count: size)
        for (token, id) in model.vocab where id >= 0 { table[Int(id)] = token.text }
        var byID: [Int32: TokenizerAddedTokens.Token] = [:]
        for token in addedTokens {
            table[Int(token.id)] = String(decoding: token.content, as: UTF8.self)
            byID[token.id] = token
        }
        idToToken = table
        addedByID = byID
        byteLevelIDs = (0..<256).map { model.vocab[TokenizerKey(String(TokenizerByteLevel.characters[$0]))] ?? -1 }
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.prefixIDs = prefixIDs
        self.suffixIDs = suffixIDs
    }

    /// Size of the id space (vocabulary plus added tokens).
    public var vocabSize: Int { idToToken.count }

    /// Whether `encode(_:addSpecialTokens: true)` starts with BOS / ends with EOS.
    public var addsBOS: Bool { bosTokenID != nil && prefixIDs.first == bosTokenID }
    public var addsEOS: Bool { eosTokenID != nil && suffixIDs.last == eosTokenID }

    /// The id of a token string (vocabulary or added token).
    public func id(of token: String) -> Int32? {
        if let id = model.vocab[TokenizerKey(token)] { return id }
        let bytes = Array(token.utf8)
        return addedTokens.tokens.first { $0.content == bytes }?.id
    }

    /// The token string of an id (byte-level or "▁" alphabet for vocabulary tokens).
    public func token(of id: Int32) -> String? {
        guard id >= 0, Int(id) < idToToken.count else { return nil }
        return idToToken[Int(id)]
    }

    /// Whether `id` is a special added token (BOS, EOS, chat markers...).
    public func isSpecial(_ id: Int32) -> Bool {
        addedByID[id]?.special ?? false
    }

    /// The ids of `text`. Added tokens in the text are recognised; `addSpecialTokens` adds what
    /// the post-processor / `tokenizer_config.json` put around a sequence (BOS, EOS).
    public func encode(_ text: String, addSpecialTokens: Bool = false) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(text.utf8.count / 3 + 2)
        if addSpecialTokens { ids.append(contentsOf: prefixIDs) }
        let bytes = Array(text.utf8)
        for segment in addedTokens.segments(bytes) {
            switch segment {
            case let .token(id):
                ids.append(id)
            case let .text(run):
                encodeSegment(run, into: &ids)
            }
        }
        if addSpecialTokens { ids.append(contentsOf: suffixIDs) }
        return ids
    }

    /// One run of text between added tokens: normalize, pre-tokenize, BPE each piece.
    private func encodeSegment(_ run: ArraySlice<UInt8>, into ids: inout [Int32]) {
        if normalizer.isEmpty, let splitter = preTokenizer.byteRangeSplitter {
            // GPT-2 / Qwen style: split byte ranges by hand, no strings.
            run.withUnsafeBufferPointer { bytes in
                splitter.forEachPiece(bytes) { range in
                    encodePiece(UnsafeBufferPointer(rebasing: bytes[range]), into: &ids)
                }
            }
            return
        }
        var text = String(decoding: run, as: UTF8.self)
        if !normalizer.isEmpty { text = normalizer.normalize(text) }
        for var piece in preTokenizer.split(text, atStart: run.startIndex == 0) {
            piece.withUTF8 { encodePiece($0, into: &ids) }
        }
    }

    /// One pre-token (UTF-8 bytes), through the word cache.
    private func encodePiece(_ piece: UnsafeBufferPointer<UInt8>, into ids: inout [Int32]) {
        let cacheable = piece.count <= TokenizerWordCache.maxWordBytes
        let hash = cacheable ? TokenizerWordCache.hash(piece) : 0
        if cacheable, cache.lookUp(piece, hash: hash, into: &ids) { return }
        let start = ids.count
        if preTokenizer.isByteLevel {
            if model.ignoreMerges, let id = model.vocab[TokenizerKey(TokenizerByteLevel.encode(piece))] {
                ids.append(id)
            } else {
                model.encode(bytes: piece, byteIDs: byteLevelIDs, into: &ids)
            }
        } else {
            model.encode(utf8: piece, into: &ids)
        }
        if cacheable { cache.insert(piece, hash: hash, ids: ids[start...]) }
    }

    /// The text of `ids`; ids outside the vocabulary are an error. Invalid UTF-8 becomes U+FFFD.
    public func decode(_ ids: some Collection<Int32>, skipSpecialTokens: Bool = false) throws -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard let token = token(of: id) else { throw TokenizerError.unknownID(id, vocabSize: vocabSize) }
            if skipSpecialTokens, isSpecial(id) { continue }
            tokens.append(token)
        }
        return decoder.decode(tokens)
    }

    /// The bytes `id` stands for in the middle of a text (a byte-fallback token is its one byte),
    /// nil for an id outside the vocabulary.
    public func bytes(of id: Int32) -> [UInt8]? {
        guard let token = token(of: id) else { return nil }
        if let added = addedByID[id] { return added.content }
        return decoder.bytes(ofToken: token)
    }
}
