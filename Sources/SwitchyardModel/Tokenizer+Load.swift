import Foundation

extension Tokenizer {
    /// Whether `directory` holds a `tokenizer.json`.
    public static func exists(in directory: URL) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent("tokenizer.json").path)
    }

    /// Loads `tokenizer.json` (+ `tokenizer_config.json` when present) from a model directory.
    public static func load(directory: URL) throws -> Tokenizer {
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
        let root = try Self.object(tokenizerJSON, path: path)
        guard case let .object(modelJSON)? = root["model"] else {
            throw TokenizerError.invalidFile(path: path, reason: "no \"model\" object")
        }
        let model = try Self.parseModel(modelJSON, path: path)
        let preTokenizer = TokenizerPreTokenizer(steps: try Self.parsePreTokenizer(root["pre_tokenizer"], path: path))
        if let normalizer = root["normalizer"], normalizer != .null {
            throw TokenizerError.unsupported(path: path, what: "normalizer \(Self.typeName(normalizer))")
        }
        let decoderType = root["decoder"].map(Self.typeName) ?? "null"
        guard ["ByteLevel", "null"].contains(decoderType) else {
            throw TokenizerError.unsupported(path: path, what: "decoder \(decoderType)")
        }
        let added = try Self.parseAddedTokens(root["added_tokens"], path: path)

        var config: [String: ConfigJSON] = [:]
        if let configJSON { config = try Self.object(configJSON, path: "tokenizer_config.json") }
        func tokenID(_ key: String) -> Int32? {
            let content: String?
            switch config[key] {
            case let .string(text)?: content = text
            case let .object(fields)?: if case let .string(text)? = fields["content"] { content = text } else { content = nil }
            default: content = nil
            }
            guard let content else { return nil }
            return model.vocab[content] ?? added.first { $0.content == Array(content.utf8) }?.id
        }
        func flag(_ key: String) -> Bool? {
            if case let .bool(value)? = config[key] { return value }
            return nil
        }
        var bos = tokenID("bos_token"), eos = tokenID("eos_token")
        var addsBOS = flag("add_bos_token") ?? false, addsEOS = flag("add_eos_token") ?? false
        if let template = Self.templateSpecials(root["post_processor"], vocab: model.vocab, added: added) {
            if let first = template.first { bos = bos ?? first; addsBOS = flag("add_bos_token") ?? true }
            if let last = template.last { eos = eos ?? last; addsEOS = flag("add_eos_token") ?? true }
        }
        self.init(model: model, preTokenizer: preTokenizer, addedTokens: added, bosTokenID: bos, eosTokenID: eos,
                  addsBOS: addsBOS, addsEOS: addsEOS, byteLevelDecoding: decoderType == "ByteLevel" || preTokenizer.isByteLevel)
    }

    private static func object(_ data: Data, path: String) throws -> [String: ConfigJSON] {
        guard case let .object(object)? = try? JSONDecoder().decode(ConfigJSON.self, from: data) else {
            throw TokenizerError.invalidFile(path: path, reason: "not a JSON object")
        }
        return object
    }

    private static func typeName(_ value: ConfigJSON) -> String {
        if case let .object(fields) = value, case let .string(type)? = fields["type"] { return type }
        return value == .null ? "null" : "unknown"
    }

    private static func parseModel(_ json: [String: ConfigJSON], path: String) throws -> TokenizerBPE {
        let type: String
        if case let .string(name)? = json["type"] { type = name } else { type = "BPE" }
        guard type == "BPE" else { throw TokenizerError.unsupported(path: path, what: "model type \(type) (only BPE)") }
        if case .bool(true)? = json["byte_fallback"] {
            throw TokenizerError.unsupported(path: path, what: "BPE byte_fallback (SentencePiece-style) is not implemented yet")
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if case let .string(value)? = json[key], !value.isEmpty {
                throw TokenizerError.unsupported(path: path, what: "BPE \(key)")
            }
        }
        guard case let .object(vocabJSON)? = json["vocab"] else {
            throw TokenizerError.invalidFile(path: path, reason: "model has no \"vocab\" object")
        }
        var vocab: [String: Int32] = [:]
        vocab.reserveCapacity(vocabJSON.count)
        for (token, value) in vocabJSON {
            guard case let .number(number) = value, number >= 0, number < 2_147_483_648, number == number.rounded() else {
                throw TokenizerError.invalidFile(path: path, reason: "vocab id of \"\(token)\" is not a non-negative integer")
            }
            vocab[token] = Int32(number)
        }
        var pairs: [(String, String)] = []
        if case let .array(items)? = json["merges"] {
            pairs.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                switch item {
                case let .string(line):
                    let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                    guard parts.count == 2 else { throw TokenizerError.invalidFile(path: path, reason: "merge \(index) \"\(line)\" is not \"a b\"") }
                    pairs.append((String(parts[0]), String(parts[1])))
                case let .array(parts) where parts.count == 2:
                    guard case let .string(a) = parts[0], case let .string(b) = parts[1] else { fallthrough }
                    pairs.append((a, b))
                default:
                    throw TokenizerError.invalidFile(path: path, reason: "merge \(index) is neither \"a b\" nor [a, b]")
                }
            }
        }
        var unknown: Int32?
        if case let .string(token)? = json["unk_token"] { unknown = vocab[token] }
        var ignoreMerges = false
        if case .bool(true)? = json["ignore_merges"] { ignoreMerges = true }
        return try TokenizerBPE(vocab: vocab, mergePairs: pairs, unknownID: unknown, ignoreMerges: ignoreMerges, path: path)
    }

    private static func parsePreTokenizer(_ json: ConfigJSON?, path: String) throws -> [TokenizerPreTokenizer.Step] {
        guard let json, json != .null else { return [] }
        guard case let .object(fields) = json, case let .string(type)? = fields["type"] else {
            throw TokenizerError.invalidFile(path: path, reason: "pre_tokenizer has no type")
        }
        func regex(_ pattern: String) throws -> NSRegularExpression {
            do {
                return try NSRegularExpression(pattern: pattern)
            } catch {
                throw TokenizerError.unsupported(path: path, what: "pre_tokenizer regex \(pattern): \(error)")
            }
        }
        switch type {
        case "Sequence":
            guard case let .array(items)? = fields["pretokenizers"] else {
                throw TokenizerError.invalidFile(path: path, reason: "Sequence pre_tokenizer without \"pretokenizers\"")
            }
            return try items.flatMap { try parsePreTokenizer($0, path: path) }
        case "ByteLevel":
            var prefix = false, useRegex = true
            if case let .bool(value)? = fields["add_prefix_space"] { prefix = value }
            if case let .bool(value)? = fields["use_regex"] { useRegex = value }
            return [.byteLevel(addPrefixSpace: prefix, regex: useRegex ? try regex(TokenizerPreTokenizer.gpt2Pattern) : nil)]
        case "Split":
            if case .bool(true)? = fields["invert"] { throw TokenizerError.unsupported(path: path, what: "Split with invert") }
            if case let .string(behavior)? = fields["behavior"], behavior != "Isolated" {
                throw TokenizerError.unsupported(path: path, what: "Split behavior \(behavior) (only Isolated)")
            }
            guard case let .object(pattern)? = fields["pattern"] else {
                throw TokenizerError.invalidFile(path: path, reason: "Split pre_tokenizer without a pattern")
            }
            if case let .string(source)? = pattern["Regex"] { return [.split(try regex(source))] }
            if case let .string(literal)? = pattern["String"] { return [.split(try regex(NSRegularExpression.escapedPattern(for: literal)))] }
            throw TokenizerError.invalidFile(path: path, reason: "Split pattern is neither Regex nor String")
        default:
            throw TokenizerError.unsupported(path: path, what: "pre_tokenizer \(type)")
        }
    }

    private static func parseAddedTokens(_ json: ConfigJSON?, path: String) throws -> [TokenizerAddedTokens.Token] {
        guard case let .array(items)? = json else { return [] }
        return try items.map { item in
            guard case let .object(fields) = item, case let .number(id)? = fields["id"], id >= 0, id < 2_147_483_648, id == id.rounded(),
                  case let .string(content)? = fields["content"] else {
                throw TokenizerError.invalidFile(path: path, reason: "added token entry without id and content")
            }
            func flag(_ key: String) -> Bool { if case .bool(true)? = fields[key] { true } else { false } }
            return TokenizerAddedTokens.Token(id: Int32(id), content: Array(content.utf8), special: flag("special"),
                                              lstrip: flag("lstrip"), rstrip: flag("rstrip"))
        }
    }

    /// The special-token ids a TemplateProcessing post-processor puts around a single sequence:
    /// `[first?, last?]` positions (nil when there is no template).
    private static func templateSpecials(_ json: ConfigJSON?, vocab: [String: Int32], added: [TokenizerAddedTokens.Token]) -> (first: Int32?, last: Int32?)? {
        guard case let .object(fields)? = json, case .string("TemplateProcessing")? = fields["type"],
              case let .array(single)? = fields["single"] else { return nil }
        func special(_ item: ConfigJSON) -> Int32? {
            guard case let .object(entry) = item, case let .object(token)? = entry["SpecialToken"],
                  case let .string(name)? = token["id"] else { return nil }
            return vocab[name] ?? added.first { $0.content == Array(name.utf8) }?.id
        }
        let first = single.first.flatMap(special)
        let last = single.count > 1 ? single.last.flatMap(special) : nil
        return (first, last)
    }
}
