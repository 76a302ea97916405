import Foundation
import SwitchyardModel

/// Writes the Hugging Face tokenizer files of a GGUF vocabulary: `tokenizer.json`,
/// `tokenizer_config.json` (special tokens and the chat template) and `generation_config.json`.
///
/// Byte-level BPE (`tokenizer.ggml.model` = gpt2) only, built as transformers' GGUF loader builds it
/// (`integrations/gguf/gguf_tokenizer_mapping.py`): tokens outside the byte alphabet respelled from
/// their UTF-8 bytes, the merges as given, control tokens added as special tokens and user-defined
/// ones as plain added tokens, a ByteLevel pre-tokenizer (or, for the `tokenizer.ggml.pre` names it
/// knows, a Split on that regex before ByteLevel), a ByteLevel decoder.
enum GGUFTokenizerExport {
    static func write(_ data: GGUFTokenizerData, contextLength: Int, to directory: URL) throws -> [String] {
        guard data.model == .gpt2 else {
            throw UpcycleError.invalidRequest("the GGUF tokenizer is \(data.model.rawValue) (SentencePiece); only gpt2 (byte-level BPE) can be written as tokenizer.json")
        }
        try Upcycler.write(tokenizerJSON(data), to: directory.appendingPathComponent("tokenizer.json"))
        try Upcycler.write(tokenizerConfigJSON(data, contextLength: contextLength), to: directory.appendingPathComponent("tokenizer_config.json"))
        let generation = JSONOut.object([
            "_from_model_config": .bool(true),
            "bos_token_id": data.bosTokenID.map { .int($0) } ?? .null,
            "eos_token_id": data.eosTokenID.map { .int($0) } ?? .null,
        ]).render() + "\n"
        try Upcycler.write(generation, to: directory.appendingPathComponent("generation_config.json"))
        return ["tokenizer.json", "tokenizer_config.json", "generation_config.json"]
    }

    /// GPT-2's byte → printable character table (`bytes_to_unicode`).
    static let byteAlphabet: [Character] = {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var codes = printable
        var extra = 0
        for byte in 0..<256 where !printable.contains(byte) {
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
        }
        var table = [Character](repeating: " ", count: 256)
        for (byte, code) in zip(printable, codes) { table[byte] = Character(Unicode.Scalar(UInt32(code))!) }
        return table
    }()

    /// A token as the byte-level vocabulary spells it.
    static func spelled(_ token: String, alphabet: Set<Character>) -> String {
        if token.allSatisfy(alphabet.contains) { return token }
        return String(token.utf8.map { byteAlphabet[Int($0)] })
    }

    /// The split regex transformers puts before ByteLevel for a `tokenizer.ggml.pre` name, if any.
    static func splitRegex(pre: String?) -> String? {
        let llama3 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        let qwen2 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        switch pre {
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "smaug-bpe", "dbrx": return llama3
        case "qwen2", "deepseek-r1-qwen", "megrez": return qwen2
        default: return nil
        }
    }

    static func tokenizerJSON(_ data: GGUFTokenizerData) -> String {
        let alphabet = Set(byteAlphabet)
        var vocab: [String: JSONOut] = [:]
        for (id, token) in data.tokens.enumerated() { vocab[spelled(token, alphabet: alphabet)] = .int(id) }
        var added: [JSONOut] = []
        for (id, token) in data.tokens.enumerated() {
            let type = data.tokenTypes?[id]
            let special: Bool
            if type == GGUFTokenizerData.TokenType.control.rawValue, token.allSatisfy(alphabet.contains) {
                special = true
            } else if type == GGUFTokenizerData.TokenType.userDefined.rawValue {
                special = false
            } else {
                continue
            }
            added.append(.object([
                "id": .int(id), "content": .string(token), "single_word": .bool(false), "lstrip": .bool(false),
                "rstrip": .bool(false), "normalized": .bool(false), "special": .bool(special),
            ]))
        }
        let merges: [JSONOut] = data.merges.map { merge in
            let space = merge.firstIndex(of: " ")!
            return .array([.string(String(merge[..<space])), .string(String(merge[merge.index(after: space)...]))])
        }
        let byteLevel: [String: JSONOut] = ["type": .string("ByteLevel"), "add_prefix_space": .bool(false),
                                            "trim_offsets": .bool(true), "use_regex": .bool(true)]
        var preTokenizer = JSONOut.object(byteLevel)
        if let regex = splitRegex(pre: data.pre) {
            var plain = byteLevel
            plain["use_regex"] = .bool(false)
            preTokenizer = .object(["type": .string("Sequence"), "pretokenizers": .array([
                .object(["type": .string("Split"), "pattern": .object(["Regex": .string(regex)]),
                         "behavior": .string("Isolated"), "invert": .bool(false)]),
                .object(plain),
            ])])
        }
        var decoder = byteLevel
        decoder["add_prefix_space"] = .bool(true)
        let root = JSONOut.object([
            "version": .string("1.0"),
            "truncation": .null,
            "padding": .null,
            "added_tokens": .array(added),
            "normalizer": .null,
            "pre_tokenizer": preTokenizer,
            "post_processor": .object(["type": .string("ByteLevel"), "add_prefix_space": .bool(true),
                                       "trim_offsets": .bool(false), "use_regex": .bool(true)]),
            "decoder": .object(decoder),
            "model": .object([
                "type": .string("BPE"), "dropout": .null, "unk_token": .null, "continuing_subword_prefix": .string(""),
                "end_of_word_suffix": .string(""), "fuse_unk": .bool(false), "byte_fallback": .bool(false),
                "ignore_merges": .bool(false), "vocab": .object(vocab), "merges": .array(merges),
            ]),
        ])
        return root.render() + "\n"
    }

    static func tokenizerConfigJSON(_ data: GGUFTokenizerData, contextLength: Int) -> String {
        func token(_ id: Int?) -> JSONOut { id.map { .string(data.tokens[$0]) } ?? .null }
        var fields: [String: JSONOut] = [
            "tokenizer_class": .string("PreTrainedTokenizerFast"),
            "bos_token": token(data.bosTokenID),
            "eos_token": token(data.eosTokenID),
            "unk_token": token(data.unknownTokenID),
            "pad_token": token(data.paddingTokenID),
            "model_max_length": .int(contextLength),
            "clean_up_tokenization_spaces": .bool(false),
        ]
        if let add = data.addBOSToken { fields["add_bos_token"] = .bool(add) }
        if let add = data.addEOSToken { fields["add_eos_token"] = .bool(add) }
        if let template = data.chatTemplate { fields["chat_template"] = .string(template) }
        return JSONOut.object(fields).render() + "\n"
    }
}
