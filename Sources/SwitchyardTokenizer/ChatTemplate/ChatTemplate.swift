import Foundation

/// A Hugging Face chat template, parsed once and rendered many times.
///
/// Rendering matches `transformers`' `apply_chat_template` (Jinja2 `ImmutableSandboxedEnvironment`
/// with `trim_blocks`, `lstrip_blocks`, `loopcontrols`, the `generation` tag, the custom `tojson`
/// filter, and the `raise_exception` / `strftime_now` globals).
public struct ChatTemplate: Sendable {
    /// The original template source.
    public let source: String
    let nodes: [Node]
    /// Supplies "now" for `strftime_now`; replace it for deterministic output in tests.
    public var clock: @Sendable () -> Date = { Date() }
    /// Time zone used by `strftime_now` (Python's `datetime.now()` uses local time).
    public var timeZone: TimeZone = .current

    /// Parses `source`. Throws `TemplateError.syntax` (with a 1-based line number) on invalid Jinja.
    public init(source: String) throws {
        self.source = source
        var lexer = Lexer(source: source)
        var parser = Parser(tokens: try lexer.tokenize())
        nodes = try parser.parseTemplate()
    }

    /// Renders a conversation the way `tokenizer.apply_chat_template(..., tokenize=False)` does.
    ///
    /// - Parameters:
    ///   - messages: the chat, each an object with at least `role` and usually `content`.
    ///   - tools: OpenAI-style tool schemas; `nil` is passed to the template as `none`
    ///     (defined but falsy), as transformers does.
    ///   - addGenerationPrompt: value of `add_generation_prompt`.
    ///   - bosToken, eosToken: `bos_token` / `eos_token`; left undefined when `nil`.
    ///   - extra: additional template variables (e.g. `enable_thinking`); they override the above.
    public func render(
        messages: [TemplateValue],
        tools: [TemplateValue]? = nil,
        addGenerationPrompt: Bool = false,
        bosToken: String? = nil,
        eosToken: String? = nil,
        extra: [String: TemplateValue] = [:]
    ) throws -> String {
        var context: [String: TemplateValue] = [
            "messages": .array(messages),
            "tools": tools.map { .array($0) } ?? .null,
            "documents": .null,
            "add_generation_prompt": .bool(addGenerationPrompt),
        ]
        if let bosToken { context["bos_token"] = .string(bosToken) }
        if let eosToken { context["eos_token"] = .string(eosToken) }
        for (k, v) in extra { context[k] = v }
        return try render(context: context)
    }

    /// Renders with an arbitrary set of top-level variables.
    public func render(context: [String: TemplateValue]) throws -> String {
        let now = clock()
        let globals = Scope(parent: nil, vars: Globals.make(now: now, timeZone: timeZone))
        var vars: [String: Value] = [:]
        for (k, v) in context { vars[k] = Value(v) }
        let root = Scope(parent: globals, vars: vars)
        return try Interpreter(now: now, timeZone: timeZone).render(nodes, scope: root)
    }
}
