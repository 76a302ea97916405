/// Fields of OpenAI's or vLLM's chat API that this server does not implement: each answers 400
/// naming it, unless it carries the value that means "off".
enum ChatUnsupportedFields {
    static func check(_ fields: [String: JSONValue], reader: FieldReader) throws(OpenAIError) {
        if let n = try reader.int("n", range: 1...Int.max), n != 1 {
            throw .invalid("Only `n` = 1 is supported, got \(n).", param: "n")
        }
        if let bestOf = try reader.int("best_of", range: 1...Int.max), bestOf != 1 {
            throw .invalid("Only `best_of` = 1 is supported, got \(bestOf).", param: "best_of")
        }
        for penalty in ["presence_penalty", "frequency_penalty"] {
            if let value = try reader.number(penalty, range: -2...2), value != 0 {
                throw .invalid("`\(penalty)` is not supported; send 0 or leave it out.", param: penalty)
            }
        }
        if let value = try reader.number("repetition_penalty", range: 0...100), value != 1 {
            throw .invalid("`repetition_penalty` is not supported; send 1 or leave it out.", param: "repetition_penalty")
        }
        if let value = try reader.number("min_p", range: 0...1), value != 0 {
            throw .invalid("`min_p` is not supported; send 0 or leave it out.", param: "min_p")
        }
        if let value = try reader.int("min_tokens", range: 0...Int.max), value != 0 {
            throw .invalid("`min_tokens` is not supported; send 0 or leave it out.", param: "min_tokens")
        }
        if let bias = reader.present("logit_bias") {
            guard case .object(let entries) = bias else { throw reader.typeError("logit_bias", "an object", bias) }
            if !entries.isEmpty { throw .invalid("`logit_bias` is not supported.", param: "logit_bias") }
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
