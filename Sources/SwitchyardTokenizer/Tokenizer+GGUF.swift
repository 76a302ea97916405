import SwitchyardModel
import Foundation

extension Tokenizer {
    /// The tokenizer stored in a GGUF model's metadata (`tokenizer.ggml.*`), built as transformers
    /// builds it when it loads the GGUF.
    ///
    /// `gpt2` (byte-level BPE): vocabulary from `tokens`, merges from `merges`, control and
    /// user-defined tokens as added tokens (control ones special), the pre-tokenizer chosen by
    /// `tokenizer.ggml.pre` (`GGUFPreTokenizer`).
    ///
    /// `llama` (SentencePiece): a BPE over the pieces with merges ranked by their scores
    /// (`GGUFSentencePieceMerges`), byte fallback to the `<0xNN>` pieces, unknown characters fused;
    /// spaces become "▁" with one in front of the text (Metaspace, `first`); control and unknown
    /// pieces are special added tokens, user-defined ones plain added tokens. `add_bos_token`
    /// defaults to true, as llama.cpp and transformers have it for these files.
    ///
    /// BOS/EOS ids from metadata; BOS is prepended when `add_bos_token` says so. A tokenizer model
    /// or pre-tokenizer it does not know is an error.
    public static func load(gguf model: GGUFModelFiles) throws -> Tokenizer {
        let path = model.files[0].path
        let data = try GGUFTokenizerData(metadata: model.metadata)
        let bos = data.bosTokenID.map(Int32.init)
        let eos = data.eosTokenID.map(Int32.init)
        let addBOS = data.addBOSToken ?? (data.model == .llama)
        let prefix: [Int32] = addBOS ? bos.map { [$0] } ?? [] : []
        let suffix: [Int32] = data.addEOSToken == true ? eos.map { [$0] } ?? [] : []
        let parts = switch data.model {
        case .gpt2: try byteLevelParts(data, path: path)
        case .llama: try sentencePieceParts(data, path: path)
        }
        return Tokenizer(model: parts.model, normalizer: TokenizerNormalizer(steps: []), preTokenizer: parts.preTokenizer,
                         decoder: parts.decoder, addedTokens: parts.added,
                         bosTokenID: bos, eosTokenID: eos, prefixIDs: prefix, suffixIDs: suffix)
    }

    private typealias Parts = (model: TokenizerBPE, preTokenizer: TokenizerPreTokenizer, decoder: TokenizerDecoder,
                               added: [TokenizerAddedTokens.Token])

    private static func byteLevelParts(_ data: GGUFTokenizerData, path: String) throws -> Parts {
        let steps = try GGUFPreTokenizer.steps(named: data.pre, path: path)
        var vocab: [TokenizerKey: Int32] = [:]
        vocab.reserveCapacity(data.tokens.count)
        // The first id of a duplicated string wins, as in tokenizer.json vocabularies: assigned last.
        for id in data.tokens.indices.reversed() { vocab[TokenizerKey(data.tokens[id])] = Int32(id) }
        let merges: [(String, String)] = data.merges.map { line in
            let parts = line.utf8.split(separator: UInt8(ascii: " "), maxSplits: 1, omittingEmptySubsequences: false)
            return (String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self))
        }
        let bpe = try TokenizerBPE(vocab: vocab, mergePairs: merges, unknownToken: nil, fuseUnknown: false,
                                   byteFallback: false, ignoreMerges: false, path: path)
        return (bpe, TokenizerPreTokenizer(steps: steps), TokenizerDecoder(steps: [.byteLevel]),
                addedTokens(data, special: [.control]))
    }

    private static func sentencePieceParts(_ data: GGUFTokenizerData, path: String) throws -> Parts {
        guard let scores = data.scores else {
            throw TokenizerError.invalidFile(path: path, reason: "a SentencePiece (\"llama\") vocabulary needs tokenizer.ggml.scores")
        }
        var vocab: [TokenizerKey: Int32] = [:]
        vocab.reserveCapacity(data.tokens.count)
        // transformers builds the vocabulary as a dict: the last id of a duplicated string wins.
        for (id, token) in data.tokens.enumerated() { vocab[TokenizerKey(token)] = Int32(id) }
        let merges = GGUFSentencePieceMerges.merges(tokens: data.tokens, scores: scores)
        let bpe = try TokenizerBPE(vocab: vocab, mergePairs: merges, unknownToken: nil, fuseUnknown: true,
                                   byteFallback: true, ignoreMerges: false, path: path)
        let space = "\u{2581}"
        return (bpe, TokenizerPreTokenizer(steps: [.metaspace(replacement: space, prepend: .first, split: false)]),
                TokenizerDecoder(steps: [.replace(space, with: " "), .byteFallback, .fuse, .strip(content: " ", start: 1, stop: 0)]),
                addedTokens(data, special: [.control, .unknown]))
    }

    /// Control-like tokens of the types in `special` as special added tokens, user-defined ones as
    /// plain added tokens: matched whole in the text before the model splits it.
    private static func addedTokens(_ data: GGUFTokenizerData, special: Set<GGUFTokenizerData.TokenType>) -> [TokenizerAddedTokens.Token] {
        guard let types = data.tokenTypes else { return [] }
        var added: [TokenizerAddedTokens.Token] = []
        for (id, token) in data.tokens.enumerated() {
            guard let type = GGUFTokenizerData.TokenType(rawValue: types[id]) else { continue }
            let isSpecial = special.contains(type)
            guard isSpecial || type == .userDefined else { continue }
            added.append(TokenizerAddedTokens.Token(id: Int32(id), content: Array(token.utf8), special: isSpecial,
                                                    lstrip: false, rstrip: false))
        }
        return added
    }

    /// The chat template stored in a GGUF model (`tokenizer.chat_template`), nil when it has none.
    public static func chatTemplate(gguf model: GGUFModelFiles) throws -> String? {
        try model.metadata.string("tokenizer.chat_template")
    }
}
