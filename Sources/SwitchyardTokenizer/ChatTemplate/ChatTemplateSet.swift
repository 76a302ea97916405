import Foundation

/// The chat templates of one model and the special-token strings they are rendered with.
///
/// A model has one template, or several named ones (`tokenizer_config.json`'s `chat_template` as a
/// list of `{name, template}`, usually `default` and `tool_use`). Which one a request gets follows
/// `transformers`' `get_chat_template`: an explicitly chosen name, else `tool_use` when the request
/// has tools and the model has one, else `default`.
public struct ChatTemplateSet: Sendable {
    /// Templates by name; a single unnamed template is stored as `default`.
    public let templates: [String: ChatTemplate]
    /// The template every request uses when set (`--chat-template-name`).
    public let selectedName: String?
    /// `bos_token` / `eos_token` as the templates see them.
    public var bosToken: String?
    public var eosToken: String?
    /// Where the templates came from, for logs (`tokenizer_config.json`, a file path, `GGUF`...).
    public let origin: String

    public init(templates: [String: ChatTemplate], selectedName: String? = nil, bosToken: String? = nil, eosToken: String? = nil,
                origin: String) throws {
        guard !templates.isEmpty else { throw ChatTemplateLoadError(origin: origin, reason: "no template") }
        if let selectedName, templates[selectedName] == nil {
            throw ChatTemplateLoadError(origin: origin, reason: "no template named \"\(selectedName)\" (it has \(templates.keys.sorted().joined(separator: ", ")))")
        }
        self.templates = templates
        self.selectedName = selectedName
        self.bosToken = bosToken
        self.eosToken = eosToken
        self.origin = origin
    }

    /// One template from its source (`--chat-template FILE`, `chat_template.jinja`, GGUF metadata).
    public init(source: String, bosToken: String? = nil, eosToken: String? = nil, origin: String) throws {
        try self.init(templates: ["default": try Self.parse(source, origin: origin)], bosToken: bosToken, eosToken: eosToken, origin: origin)
    }

    /// The template for a request with or without tools.
    public func template(hasTools: Bool) -> ChatTemplate {
        if let selectedName, let chosen = templates[selectedName] { return chosen }
        if hasTools, let toolUse = templates["tool_use"] { return toolUse }
        if let chosen = templates["default"] { return chosen }
        return templates[templates.keys.sorted()[0]]!
    }

    /// Whether any template writes `<think>` (a reasoning model: output is split into reasoning
    /// and content).
    public var emitsThinking: Bool {
        templates.values.contains { $0.source.contains("<think>") }
    }

    static func parse(_ source: String, origin: String) throws -> ChatTemplate {
        do {
            return try ChatTemplate(source: source)
        } catch {
            throw ChatTemplateLoadError(origin: origin, reason: "\(error)")
        }
    }
}

/// A chat template that could not be read or parsed.
public struct ChatTemplateLoadError: Error, Sendable, CustomStringConvertible {
    public var origin: String
    public var reason: String

    public init(origin: String, reason: String) {
        self.origin = origin
        self.reason = reason
    }

    public var description: String { "chat template from \(origin): \(reason)" }
}
