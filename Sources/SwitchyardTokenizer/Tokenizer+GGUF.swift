import SwitchyardModel
import Foundation

extension Tokenizer {
    /// The tokenizer stored in a GGUF model's metadata (`tokenizer.ggml.*`).
    ///
    /// `gpt2` (byte-level BPE): vocabulary from `tokens`, merges from `merges`, control and
    /// user-defined tokens as added tokens (control ones special), the pre-tokenizer chosen by
    /// `tokenizer.ggml.pre` (`GGUFPreTokenizer`). BOS/EOS ids from metadata; BOS is prepended when
    /// `add_bos_token` says so. A tokenizer model or pre-tokenizer it does not know is an error.
    public static func load(gguf model: GGUFModelFiles) throws -> Tokenizer {
        let path = model.files[0].path
        let data = try GGUFTokenizerData(metadata: model.metadata)
        guard data.model == .gpt2 else {
            throw TokenizerError.unsupported(path: path, what: "tokenizer.ggml.model \"\(data.model.rawValue)\" (only \"gpt2\" byte-level BPE so far)")
        }
        let steps = try GGUFPreTokenizer.steps(named: data.pre, path: path)
        var vocab: [TokenizerKey: Int32] = [:]
        vocab.reserveCapacity(data.tokens.count)
        var added: [TokenizerAddedTokens.Token] = []
        for (id, token) in data.tokens.enumerated() {
            let type = data.tokenTypes.map { $0[id] } ?? GGUFTokenizerData.TokenType.normal.rawValue
            if type == GGUFTokenizerData.TokenType.control.rawValue || type == GGUFTokenizerData.TokenType.userDefined.rawValue {
                added.append(TokenizerAddedTokens.Token(id: Int32(id), content: Array(token.utf8),
                                                        special: type == GGUFTokenizerData.TokenType.control.rawValue,
                                                        lstrip: false, rstrip: false))
            }
            // The first id of a duplicated string wins, as in tokenizer.json vocabularies.
            if vocab[TokenizerKey(token)] == nil { vocab[TokenizerKey(token)] = Int32(id) }
        }
        let merges: [(String, String)] = data.merges.map { line in
            let parts = line.utf8.split(separator: UInt8(ascii: " "), maxSplits: 1, omittingEmptySubsequences: false)
            return (String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self))
        }
        let bpe = try TokenizerBPE(vocab: vocab, mergePairs: merges, unknownToken: nil, fuseUnknown: false,
                                   byteFallback: false, ignoreMerges: false, path: path)
        let bos = data.bosTokenID.map(Int32.init)
        let eos = data.eosTokenID.map(Int32.init)
        let prefix: [Int32] = data.addBOSToken == true ? bos.map { [$0] } ?? [] : []
        let suffix: [Int32] = data.addEOSToken == true ? eos.map { [$0] } ?? [] : []
        return Tokenizer(model: bpe, normalizer: TokenizerNormalizer(steps: []), preTokenizer: TokenizerPreTokenizer(steps: steps),
                         decoder: TokenizerDecoder(steps: [.byteLevel]), addedTokens: added,
                         bosTokenID: bos, eosTokenID: eos, prefixIDs: prefix, suffixIDs: suffix)
    }

    /// The chat template stored in a GGUF model (`tokenizer.chat_template`), nil when it has none.
    public static func chatTemplate(gguf model: GGUFModelFiles) throws -> String? {
        try model.metadata.string("tokenizer.chat_template")
    }
}
