import Foundation

extension ChatTemplateSet {
    /// The templates of a Hugging Face model directory: `chat_template.jinja` when present (as
    /// `transformers` lets it win), else `chat_template` in `tokenizer_config.json` (a string, or
    /// a list of `{name, template}`). `bos_token` / `eos_token` come from `tokenizer_config.json`
    /// (strings or `AddedToken` objects). Nil when the directory has no template.
    ///
    /// - Parameters:
    ///   - overrideFile: a template file that replaces the model's (`--chat-template`).
    ///   - embedded: a template carried by the checkpoint itself (a GGUF's `tokenizer.chat_template`),
    ///     used when the directory has none.
    ///   - embeddedNamed: the checkpoint's named templates (a GGUF's `tokenizer.chat_template.NAME`),
    ///     beside `embedded` as `default`.
    ///   - name: the named template every request uses (`--chat-template-name`).
    public static func load(directory: URL?, overrideFile: String? = nil, embedded: String? = nil,
                            embeddedNamed: [String: String] = [:], name: String? = nil) throws -> ChatTemplateSet? {
        var config: TemplateValue?
        if let directory {
            let url = directory.appendingPathComponent("tokenizer_config.json")
            if FileManager.default.fileExists(atPath: url.path) {
                do {
                    config = try TemplateValue(json: Data(contentsOf: url))
                } catch {
                    throw ChatTemplateLoadError(origin: url.path, reason: "\(error)")
                }
            }
        }
        let bos = config.flatMap { tokenString($0["bos_token"]) }
        let eos = config.flatMap { tokenString($0["eos_token"]) }

        // A single template is `default`; naming another one is an error.
        let singleName = name == "default" ? nil : name
        func single(_ source: String, origin: String) throws -> ChatTemplateSet {
            try ChatTemplateSet(templates: ["default": try parse(source, origin: origin)], selectedName: singleName,
                                bosToken: bos, eosToken: eos, origin: origin)
        }
        if let overrideFile {
            return try single(try read(URL(fileURLWithPath: overrideFile)), origin: overrideFile)
        }
        if let directory {
            let jinja = directory.appendingPathComponent("chat_template.jinja")
            if FileManager.default.fileExists(atPath: jinja.path) {
                return try single(try read(jinja), origin: jinja.path)
            }
        }
        let origin = "tokenizer_config.json"
        switch config?["chat_template"] {
        case .string(let source)?:
            return try single(source, origin: origin)
        case .array(let items)?:
            var templates: [String: ChatTemplate] = [:]
            for item in items {
                guard case .string(let itemName)? = item["name"], case .string(let source)? = item["template"] else {
                    throw ChatTemplateLoadError(origin: origin, reason: "each entry of the chat_template list needs a string name and template")
                }
                templates[itemName] = try parse(source, origin: "\(origin) (\(itemName))")
            }
            return try ChatTemplateSet(templates: templates, selectedName: name, bosToken: bos, eosToken: eos, origin: origin)
        case nil, .null?:
            break
        case let other?:
            throw ChatTemplateLoadError(origin: origin, reason: "chat_template must be a string or a list, not \(other)")
        }
        let metadata = "the checkpoint's metadata"
        if !embeddedNamed.isEmpty {
            var templates: [String: ChatTemplate] = [:]
            for (itemName, source) in embeddedNamed { templates[itemName] = try parse(source, origin: "\(metadata) (\(itemName))") }
            if let embedded { templates["default"] = try parse(embedded, origin: metadata) }
            return try ChatTemplateSet(templates: templates, selectedName: name, bosToken: bos, eosToken: eos, origin: metadata)
        }
        if let embedded {
            return try single(embedded, origin: metadata)
        }
        return nil
    }

    /// A special token as `tokenizer_config.json` writes it: a string or `{"content": ...}`.
    static func tokenString(_ value: TemplateValue?) -> String? {
        switch value {
        case .string(let text)?: text
        case .object?: if case .string(let text)? = value?["content"] { text } else { nil }
        default: nil
        }
    }

    private static func read(_ url: URL) throws -> String {
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ChatTemplateLoadError(origin: url.path, reason: "cannot read the file: \(error.localizedDescription)")
        }
    }
}
