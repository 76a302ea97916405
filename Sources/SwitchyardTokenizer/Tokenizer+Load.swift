import SwitchyardModel
import Foundation

extension Tokenizer {
    /// Whether `directory` holds a `tokenizer.json`, or names a GGUF model with a `tokenizer.ggml.model`.
    public static func exists(in directory: URL) -> Bool {
        if ModelLocation.isGGUF(directory) {
            return (try? GGUFModelFiles(path: directory.path).metadata.contains("tokenizer.ggml.model")) ?? false
        }
        return FileManager.default.fileExists(atPath: directory.appendingPathComponent("tokenizer.json").path)
    }

    /// Loads `tokenizer.json` (+ `tokenizer_config.json` when present) from a model directory, or
    /// the tokenizer of a GGUF model (`load(gguf:)`).
    public static func load(directory: URL) throws -> Tokenizer {
        if ModelLocation.isGGUF(directory) { return try load(gguf: GGUFModelFiles(path: directory.path)) }
        let url = directory.appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: url.path) else { throw TokenizerError.missingFile(path: url.path) }
        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        let config = FileManager.default.fileExists(atPath: configURL.path) ? try read(configURL) : nil
        return try Tokenizer(tokenizerJSON: try read(url), configJSON: config, path: url.path)
    }

    private static func read(_ url: URL) throws -> Data {
        do {
            return try Data(contentsOf: url)
        } catch {
            throw TokenizerError.invalidFile(path: url.path, reason: error.localizedDescription)
        }
    }

    /// Builds a tokenizer from the bytes of `tokenizer.json` and `tokenizer_config.json`.
    public convenience init(tokenizerJSON: Data, configJSON: Data? = nil, path: String = "tokenizer.json") throws {
        let parsed: TokenizerJSONValue
        do {
            parsed = try TokenizerJSONParser.parse(Array(tokenizerJSON))
        } catch {
            throw TokenizerError.invalidFile(path: path, reason: error.description)
        }
        guard case let .object(root) = parsed.config else {
            throw TokenizerError.invalidFile(path: path, reason: "not a JSON object")
        }
        guard case let .object(modelJSON)? = root["model"] else {
            throw TokenizerError.invalidFile(path: path, reason: "no \"model\" object")
        }
        // The vocabulary from the exact-key pairs, not the dictionary.
        var vocabPairs: [TokenizerJSONValue.Member]?
        if case let .object(members)? = parsed.member("model")?.member("vocab") { vocabPairs = members }
        let model = try Self.parseModel(modelJSON, vocab: vocabPairs, path: path)
        let normalizer = TokenizerNormalizer(steps: try Self.parseNormalizer(root["normalizer"], path: path))
        let preTokenizer = TokenizerPreTokenizer(steps: try Self.parsePreTokenizer(root["pre_tokenizer"], path: path))
        let decoder = TokenizerDecoder(steps: try Self.parseDecoder(root["decoder"], path: path))
        let added = try Self.parseAddedTokens(root["added_tokens"], path: path)
        func lookUp(_ content: String) -> Int32? {
            added.first { $0.content == Array(content.utf8) }?.id ?? model.vocab[TokenizerKey(content)]
        }

        var config: [String: ConfigJSON] = [:]
        if let configJSON { config = try Self.object(configJSON, path: "tokenizer_config.json") }
        func configToken(_ key: String) throws -> Int32? {
            let content: String
            switch config[key] {
            case let .string(text)?: content = text
            case let .object(fields)?:
                guard case let .string(text)? = fields["content"] else { return nil }
                content = text
            default: return nil
            }
            guard let id = lookUp(content) else {
                throw TokenizerError.invalidFile(path: "tokenizer_config.json", reason: "\(key) \"\(content)\" is not a token of tokenizer.json")
            }
            return id
        }
        func flag(_ key: String) -> Bool? {
            if case let .bool(value)? = config[key] { return value }
            return nil
        }
        let template = try Self.parseTemplate(root["post_processor"], lookUp: lookUp, path: path)
        let bos = try configToken("bos_token") ?? template?.prefix.first
        let eos = try configToken("eos_token") ?? template?.suffix.last
        // Explicit add_bos_token / add_eos_token win (transformers rebuilds the template from
        // them); otherwise the post-processor's template decides.
        var prefix = template?.prefix ?? [], suffix = template?.suffix ?? []
        if let addsBOS = flag("add_bos_token") {
            if addsBOS, bos == nil { throw TokenizerError.invalidFile(path: "tokenizer_config.json", reason: "add_bos_token without a bos_token") }
            prefix = addsBOS ? [bos!] : []
        }
        if let addsEOS = flag("add_eos_token") {
            if addsEOS, eos == nil { throw TokenizerError.invalidFile(path: "tokenizer_config.json", reason: "add_eos_token without an eos_token") }
            suffix = addsEOS ? [eos!] : []
        }
        self.init(model: model, normalizer: normalizer, preTokenizer: preTokenizer, decoder: decoder, addedTokens: added,
                  bosTokenID: bos, eosTokenID: eos, prefixIDs: prefix, suffixIDs: suffix)
    }

    static func object(_ data: Data, path: String) throws -> [String: ConfigJSON] {
        guard case let .object(object)? = try? JSONDecoder().decode(ConfigJSON.self, from: data) else {
            throw TokenizerError.invalidFile(path: path, reason: "not a JSON object")
        }
        return object
    }

    static func typeName(_ value: ConfigJSON) -> String {
        if case let .object(fields) = value, case let .string(type)? = fields["type"] { return type }
        return value == .null ? "null" : "unknown"
    }

    private static func parseModel(_ json: [String: ConfigJSON], vocab vocabPairs: [TokenizerJSONValue.Member]?,
                                   path: String) throws -> TokenizerBPE {
        let type: String
        if case let .string(name)? = json["type"] { type = name } else { type = "BPE" }
        guard type == "BPE" else { throw TokenizerError.unsupported(path: path, what: "model type \(type) (only BPE)") }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if case let .string(value)? = json[key], !value.isEmpty {
                throw TokenizerError.unsupported(path: path, what: "BPE \(key)")
            }
        }
        if case let .number(dropout)? = json["dropout"], dropout > 0 {
            throw TokenizerError.unsupported(path: path, what: "BPE dropout (encoding would not be deterministic)")
        }
        guard let vocabJSON = vocabPairs else {
            throw TokenizerError.invalidFile(path: path, reason: "model has no \"vocab\" object")
        }
        var vocab: [TokenizerKey: Int32] = [:]
        vocab.reserveCapacity(vocabJSON.count)
        for (token, value) in vocabJSON.map({ ($0.key, $0.value) }) {
            guard case let .number(number) = value, number >= 0, number < 16_777_216, number == number.rounded() else {
                throw TokenizerError.invalidFile(path: path, reason: "vocab id of \"\(token)\" is not an integer in 0..<2^24")
            }
            vocab[TokenizerKey(token)] = Int32(number)
        }
        var pairs: [(String, String)] = []
        if case let .array(items)? = json["merges"] {
            pairs.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                switch item {
                case let .string(line):
                    // Split on the byte: " " followed by a combining mark or emoji modifier is one Character.
                    let parts = line.utf8.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
                    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                        throw TokenizerError.invalidFile(path: path, reason: "merge \(index) \"\(line)\" is not \"a b\"")
                    }
                    pairs.append((String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self)))
                case let .array(parts) where parts.count == 2:
                    guard case let .string(a) = parts[0], case let .string(b) = parts[1] else { fallthrough }
                    pairs.append((a, b))
                default:
                    throw TokenizerError.invalidFile(path: path, reason: "merge \(index) is neither \"a b\" nor [a, b]")
                }
            }
        }
        func flag(_ key: String, default value: Bool) -> Bool {
            if case let .bool(flag)? = json[key] { return flag }
            return value
        }
        var unknown: String?
        if case let .string(token)? = json["unk_token"] { unknown = token }
        return try TokenizerBPE(vocab: vocab, mergePairs: pairs, unknownToken: unknown, fuseUnknown: flag("fuse_unk", default: false),
                                byteFallback: flag("byte_fallback", default: false), ignoreMerges: flag("ignore_merges", default: false),
                                path: path)
    }

    private static func parseAddedTokens(_ json: ConfigJSON?, path: String) throws -> [TokenizerAddedTokens.Token] {
        guard case let .array(items)? = json else { return [] }
        return try items.map { item in
            guard case let .object(fields) = item, case let .number(id)? = fields["id"], id >= 0, id < 16_777_216, id == id.rounded(),
                  case let .string(content)? = fields["content"] else {
                throw TokenizerError.invalidFile(path: path, reason: "added token entry without id and content")
            }
            func flag(_ key: String) -> Bool { if case .bool(true)? = fields[key] { true } else { false } }
            return TokenizerAddedTokens.Token(id: Int32(id), content: Array(content.utf8), special: flag("special"),
                                              lstrip: flag("lstrip"), rstrip: flag("rstrip"))
        }
    }

    /// The ids a TemplateProcessing post-processor puts before and after a single sequence
    /// (nil without one; other post-processors add nothing).
    private static func parseTemplate(_ json: ConfigJSON?, lookUp: (String) -> Int32?, path: String) throws -> (prefix: [Int32], suffix: [Int32])? {
        guard case let .object(fields)? = json, case .string("TemplateProcessing")? = fields["type"] else { return nil }
        guard case let .array(single)? = fields["single"] else {
            throw TokenizerError.invalidFile(path: path, reason: "TemplateProcessing without a \"single\" template")
        }
        var specials: [String: [Int32]] = [:]
        if case let .object(table)? = fields["special_tokens"] {
            for (name, entry) in table {
                guard case let .object(entry) = entry, case let .array(ids)? = entry["ids"] else { continue }
                specials[name] = ids.compactMap { if case let .number(id) = $0, id >= 0, id < 16_777_216 { Int32(id) } else { nil } }
            }
        }
        var prefix: [Int32] = [], suffix: [Int32] = []
        var seenSequence = false
        for item in single {
            guard case let .object(entry) = item else { continue }
            if entry["Sequence"] != nil { seenSequence = true; continue }
            guard case let .object(token)? = entry["SpecialToken"], case let .string(name)? = token["id"] else { continue }
            guard let ids = specials[name] ?? lookUp(name).map({ [$0] }) else {
                throw TokenizerError.invalidFile(path: path, reason: "post_processor names special token \"\(name)\" that is not in the vocabulary")
            }
            if seenSequence { suffix += ids } else { prefix += ids }
        }
        return (prefix, suffix)
    }
}
