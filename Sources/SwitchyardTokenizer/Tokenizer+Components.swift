import SwitchyardModel
import Foundation

/// Parsing of the pipeline components of `tokenizer.json`: normalizer, pre-tokenizer, decoder.
/// A component type Switchyard does not implement is an error naming it, never silently ignored.
extension Tokenizer {
    static func parseNormalizer(_ json: ConfigJSON?, path: String) throws -> [TokenizerNormalizer.Step] {
        guard let json, json != .null else { return [] }
        guard case let .object(fields) = json, case let .string(type)? = fields["type"] else {
            throw TokenizerError.invalidFile(path: path, reason: "normalizer has no type")
        }
        switch type {
        case "Sequence":
            guard case let .array(items)? = fields["normalizers"] else {
                throw TokenizerError.invalidFile(path: path, reason: "Sequence normalizer without \"normalizers\"")
            }
            return try items.flatMap { try parseNormalizer($0, path: path) }
        case "Prepend":
            guard case let .string(prefix)? = fields["prepend"] else {
                throw TokenizerError.invalidFile(path: path, reason: "Prepend normalizer without \"prepend\"")
            }
            return [.prepend(prefix)]
        case "Replace":
            let (pattern, content) = try replacePattern(fields, component: "Replace normalizer", path: path)
            switch pattern {
            case let .literal(literal): return [.replace(literal, with: content)]
            case let .regex(source): return [.replaceRegex(try regex(source, path: path), with: content)]
            }
        case "NFC": return [.nfc]
        case "NFD": return [.nfd]
        case "NFKC": return [.nfkc]
        case "NFKD": return [.nfkd]
        case "Lowercase": return [.lowercase]
        default:
            throw TokenizerError.unsupported(path: path, what: "normalizer \(type)")
        }
    }

    static func parsePreTokenizer(_ json: ConfigJSON?, path: String) throws -> [TokenizerPreTokenizer.Step] {
        guard let json, json != .null else { return [] }
        guard case let .object(fields) = json, case let .string(type)? = fields["type"] else {
            throw TokenizerError.invalidFile(path: path, reason: "pre_tokenizer has no type")
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
            return [.byteLevel(addPrefixSpace: prefix, gpt2Split: useRegex)]
        case "Split":
            if case .bool(true)? = fields["invert"] { throw TokenizerError.unsupported(path: path, what: "Split with invert") }
            if case let .string(behavior)? = fields["behavior"], behavior != "Isolated" {
                throw TokenizerError.unsupported(path: path, what: "Split behavior \(behavior) (only Isolated)")
            }
            guard case let .object(pattern)? = fields["pattern"] else {
                throw TokenizerError.invalidFile(path: path, reason: "Split pre_tokenizer without a pattern")
            }
            if case let .string(source)? = pattern["Regex"] {
                // GPT-2's, Qwen2's and Llama 3's patterns run by hand; any other through NSRegularExpression.
                if source == TokenizerPreTokenizer.gpt2Pattern { return [.gpt2Split] }
                if let maxDigits = TokenizerQwenSplit.maxDigits(ofPattern: source) { return [.qwenSplit(maxDigits: maxDigits)] }
                return [.split(try regex(source, path: path))]
            }
            if case let .string(literal)? = pattern["String"] { return [.split(try regex(NSRegularExpression.escapedPattern(for: literal), path: path))] }
            throw TokenizerError.invalidFile(path: path, reason: "Split pattern is neither Regex nor String")
        case "Metaspace":
            let (replacement, scheme) = try metaspace(fields, component: "Metaspace pre_tokenizer", path: path)
            var split = true
            if case let .bool(value)? = fields["split"] { split = value }
            return [.metaspace(replacement: replacement, prepend: scheme, split: split)]
        default:
            throw TokenizerError.unsupported(path: path, what: "pre_tokenizer \(type)")
        }
    }

    /// nil when the file has no decoder (`"decoder": null`).
    static func parseDecoder(_ json: ConfigJSON?, path: String) throws -> [TokenizerDecoder.Step]? {
        guard let json, json != .null else { return nil }
        guard case let .object(fields) = json, case let .string(type)? = fields["type"] else {
            throw TokenizerError.invalidFile(path: path, reason: "decoder has no type")
        }
        switch type {
        case "Sequence":
            guard case let .array(items)? = fields["decoders"] else {
                throw TokenizerError.invalidFile(path: path, reason: "Sequence decoder without \"decoders\"")
            }
            return try items.flatMap { try parseDecoder($0, path: path) ?? [] }
        case "ByteLevel": return [.byteLevel]
        case "ByteFallback": return [.byteFallback]
        case "Fuse": return [.fuse]
        case "Replace":
            let (pattern, content) = try replacePattern(fields, component: "Replace decoder", path: path)
            guard case let .literal(literal) = pattern else {
                throw TokenizerError.unsupported(path: path, what: "Replace decoder with a Regex pattern")
            }
            return [.replace(literal, with: content)]
        case "Strip":
            guard case let .string(content)? = fields["content"], content.unicodeScalars.count == 1 else {
                throw TokenizerError.invalidFile(path: path, reason: "Strip decoder needs a one-character \"content\"")
            }
            func count(_ key: String) -> Int {
                if case let .number(value)? = fields[key], value >= 0, value < 1e6 { return Int(value) }
                return 0
            }
            return [.strip(content: content.unicodeScalars.first!, start: count("start"), stop: count("stop"))]
        case "Metaspace":
            let (replacement, scheme) = try metaspace(fields, component: "Metaspace decoder", path: path)
            return [.metaspace(replacement: replacement, dropInFirstToken: scheme != .never)]
        default:
            throw TokenizerError.unsupported(path: path, what: "decoder \(type)")
        }
    }

    enum Pattern {
        case literal(String)
        case regex(String)
    }

    private static func replacePattern(_ fields: [String: ConfigJSON], component: String, path: String) throws -> (Pattern, String) {
        guard case let .object(pattern)? = fields["pattern"], case let .string(content)? = fields["content"] else {
            throw TokenizerError.invalidFile(path: path, reason: "\(component) needs \"pattern\" and \"content\"")
        }
        if case let .string(literal)? = pattern["String"] { return (.literal(literal), content) }
        if case let .string(source)? = pattern["Regex"] { return (.regex(source), content) }
        throw TokenizerError.invalidFile(path: path, reason: "\(component) pattern is neither String nor Regex")
    }

    /// The replacement and prepend scheme of a Metaspace component (older files say
    /// `add_prefix_space` instead of `prepend_scheme`).
    private static func metaspace(_ fields: [String: ConfigJSON], component: String, path: String) throws -> (String, TokenizerPreTokenizer.PrependScheme) {
        var replacement = "\u{2581}"
        if case let .string(value)? = fields["replacement"] { replacement = value }
        guard replacement.unicodeScalars.count == 1 else {
            throw TokenizerError.invalidFile(path: path, reason: "\(component) replacement must be one character")
        }
        var scheme = TokenizerPreTokenizer.PrependScheme.always
        if case let .bool(prefix)? = fields["add_prefix_space"] { scheme = prefix ? .always : .never }
        if case let .string(name)? = fields["prepend_scheme"] {
            guard let parsed = TokenizerPreTokenizer.PrependScheme(rawValue: name) else {
                throw TokenizerError.unsupported(path: path, what: "\(component) prepend_scheme \(name)")
            }
            scheme = parsed
        }
        return (replacement, scheme)
    }

    static func regex(_ pattern: String, path: String) throws -> NSRegularExpression {
        do {
            return try NSRegularExpression(pattern: pattern)
        } catch {
            throw TokenizerError.unsupported(path: path, what: "regex \(pattern): \(error)")
        }
    }
}
