import SwitchyardTokenizer

/// Validates `tools` and `tool_choice`.
enum ChatTools {
    /// The tool schemas, passed to the template as sent (key order kept for `tojson`).
    static func parse(_ value: TemplateValue?) throws(OpenAIError) -> [TemplateValue]? {
        guard let value, value != .null else { return nil }
        guard case .array(let tools) = value else {
            throw .invalid("`tools` must be an array, not \(ChatMessages.typeName(value)).", param: "tools")
        }
        for (index, tool) in tools.enumerated() {
            guard case .string("function")? = tool["type"] else {
                throw .invalid("`tools[\(index)].type` must be \"function\".", param: "tools")
            }
            guard case .object? = tool["function"], case .string(let name)? = tool["function"]?["name"], !name.isEmpty else {
                throw .invalid("`tools[\(index)].function.name` is required.", param: "tools")
            }
        }
        return tools
    }

    /// `none` and `auto` are honoured; `required` and a named function need constrained decoding,
    /// which this server does not have, so they answer 400 rather than being silently ignored.
    static func parseChoice(_ value: JSONValue?, hasTools: Bool) throws(OpenAIError) -> ChatRequest.ToolChoice {
        let unsupported = OpenAIError.invalid(
            "`tool_choice` \"required\" or a named function is not supported (it needs constrained decoding): use \"auto\" or \"none\".",
            param: "tool_choice")
        switch value {
        case nil, .null?: return .auto
        case .string(let text)?:
            switch text {
            case "auto": return .auto
            case "none": return .never
            case "required": throw hasTools ? unsupported : .invalid("`tool_choice` \"required\" needs `tools`.", param: "tool_choice")
            default: throw .invalid("`tool_choice` must be \"none\", \"auto\", \"required\" or an object, got \"\(text)\".", param: "tool_choice")
            }
        case .object?: throw unsupported
        case let other?: throw .invalid("`tool_choice` must be a string or an object, not \(other.typeName).", param: "tool_choice")
        }
    }
}
