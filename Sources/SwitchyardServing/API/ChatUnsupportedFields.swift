/// Fields of OpenAI's or vLLM's chat API that this server does not implement: each answers 400
/// naming it, unless it carries the value that means "off".
enum ChatUnsupportedFields {
    static func check(_ fields: [String: JSONValue], reader: FieldReader) throws(OpenAIError) {
        if let bestOf = try reader.int("best_of", range: 1...Int.max), bestOf != 1 {
            throw .invalid("`best_of` is not part of the chat API; use `n`.", param: "best_of")
        }
        if try reader.bool("echo") == true {
            throw .invalid("`echo` is not supported.", param: "echo")
        }
        if let format = reader.present("response_format") {
            guard case .object(let formatFields) = format, case .string(let type)? = formatFields["type"] else {
                throw .invalid("`response_format` must be an object with a `type`.", param: "response_format")
            }
            if type != "text" {
                throw .invalid("`response_format` type \"\(type)\" is not supported (no structured output yet): only \"text\".", param: "response_format")
            }
        }
        if let modalities = reader.present("modalities"), modalities != .array([.string("text")]) {
            throw .invalid("Only the `text` output modality is supported.", param: "modalities")
        }
        for field in ["functions", "function_call"] where reader.present(field) != nil {
            throw .invalid("`\(field)` is not supported: use `tools` and `tool_choice`.", param: field)
        }
        for field in ["audio", "prediction", "web_search_options", "prompt_logprobs", "guided_json", "guided_regex",
                      "guided_choice", "guided_grammar", "structured_outputs"] where reader.present(field) != nil {
            throw .invalid("`\(field)` is not supported.", param: field)
        }
    }
}
