import Foundation
import SwitchyardTokenizer

/// A validated `POST /v1/chat/completions` request: OpenAI's chat API plus the vLLM extensions
/// clients rely on (`top_k`, `min_p`, `repetition_penalty`, `min_tokens`, `ignore_eos`,
/// `stop_token_ids`, `chat_template_kwargs`, `chat_template`, `add_generation_prompt`,
/// `continue_final_message`, `add_special_tokens`).
///
/// As for `/v1/completions`, fields nobody defined are ignored; fields OpenAI or vLLM define that
/// this server does not implement answer 400 naming the field (unless sent with their default
/// value), and known fields with a wrong type or value answer 400 naming the field.
public struct ChatRequest: Sendable {
    /// How the reply may use the request's tools.
    public enum ToolChoice: String, Sendable, Equatable {
        /// Tool calls in the output are parsed into `tool_calls` (OpenAI's default with tools).
        case auto
        /// `none`: the tools are shown to the template, the output is plain content.
        case never = "none"
    }

    public var model: String?
    /// The conversation as the template sees it: text parts joined, tool-call arguments as objects.
    public var messages: [TemplateValue]
    public var tools: [TemplateValue]?
    public var toolChoice: ToolChoice = .auto
    public var parallelToolCalls = true
    /// `max_completion_tokens` (or the older `max_tokens`); nil: whatever the context leaves.
    public var maxTokens: Int?
    public var temperature: Float = 1
    public var topP: Float = 1
    public var topK = 0
    public var seed: UInt64?
    /// Choices to generate (each with its own seed: `seed`, `seed + 1`, ...).
    public var n = 1
    /// Penalties, biases, min-p and min-tokens, as in completions.
    public var extras = CompletionRequest.SamplingExtras()
    public var stopStrings: [String] = []
    public var stopTokenIDs: [Int32] = []
    public var ignoreEOS = false
    public var stream = false
    public var includeUsageInStream = false
    /// Whether to report each token's log-probability, and how many alternatives with it.
    public var logprobs = false
    public var topLogprobs = 0
    /// Variables handed to the template (`chat_template_kwargs`, `reasoning_effort`).
    public var templateVariables: [String: TemplateValue] = [:]
    public var addGenerationPrompt = true
    public var continueFinalMessage = false
    /// A template sent with the request (vLLM's `chat_template`), replacing the model's.
    public var chatTemplate: String?
    /// Whether the rendered prompt gets BOS/EOS from the tokenizer (the template usually writes
    /// them itself, so false, as in vLLM).
    public var addSpecialTokens = false

    /// Whether tool calls are parsed from the output.
    public var parsesToolCalls: Bool { toolChoice == .auto && !(tools ?? []).isEmpty }

    /// Parses and validates a JSON body.
    public static func parse(_ body: [UInt8]) throws(OpenAIError) -> ChatRequest {
        let value: JSONValue
        let ordered: TemplateValue
        do {
            value = try JSONDecoding.decode(body)
            ordered = try TemplateValue(json: Data(body))
        } catch {
            throw .invalid("The request body is not valid JSON: \(error)")
        }
        guard case .object(let fields) = value else {
            throw .invalid("The request body must be a JSON object, not \(value.typeName).")
        }
        return try parse(fields, ordered: ordered)
    }

    static func parse(_ fields: [String: JSONValue], ordered: TemplateValue) throws(OpenAIError) -> ChatRequest {
        let reader = FieldReader(fields: fields)
        try ChatUnsupportedFields.check(fields, reader: reader)
        var request = ChatRequest(messages: try ChatMessages.parse(ordered["messages"]))
        request.model = try reader.string("model")
        request.tools = try ChatTools.parse(ordered["tools"])
        request.toolChoice = try ChatTools.parseChoice(fields["tool_choice"], hasTools: !(request.tools ?? []).isEmpty)
        request.parallelToolCalls = try reader.bool("parallel_tool_calls") ?? true
        let maxTokens = try reader.int("max_tokens", range: 1...Int(Int32.max))
        request.maxTokens = try reader.int("max_completion_tokens", range: 1...Int(Int32.max)) ?? maxTokens
        request.temperature = Float(try reader.number("temperature", range: 0...100) ?? 1)
        let topP = try reader.number("top_p", range: 0...1) ?? 1
        if topP <= 0 { throw .invalid("`top_p` must be in (0, 1], got \(topP).", param: "top_p") }
        request.topP = Float(topP)
        request.topK = max(0, try reader.int("top_k", range: -1...Int(Int32.max)) ?? 0)
        request.seed = try reader.int("seed", range: Int(Int64.min)...Int(Int64.max)).map { UInt64(bitPattern: Int64($0)) }
        request.n = try reader.int("n", range: 1...CompletionRequest.maxChoices) ?? 1
        request.extras = try CompletionRequest.SamplingExtras.parse(fields, reader: reader, maxTokens: request.maxTokens)
        request.stopStrings = try CompletionRequest.parseStop(fields["stop"])
        request.stopTokenIDs = try reader.intArray("stop_token_ids").map { $0.map(Int32.init) } ?? []
        request.ignoreEOS = try reader.bool("ignore_eos") ?? false
        request.stream = try reader.bool("stream") ?? false
        if let options = reader.present("stream_options") {
            guard case .object(let optionFields) = options else {
                throw .invalid("`stream_options` must be an object, not \(options.typeName).", param: "stream_options")
            }
            if !request.stream { throw .invalid("`stream_options` is only allowed when `stream` is true.", param: "stream_options") }
            request.includeUsageInStream = try FieldReader(fields: optionFields, prefix: "stream_options.").bool("include_usage") ?? false
        }
        request.logprobs = try reader.bool("logprobs") ?? false
        if let top = try reader.int("top_logprobs", range: 0...CompletionRequest.maxLogprobs) {
            if top > 0 && !request.logprobs {
                throw .invalid("`top_logprobs` needs `logprobs` set to true.", param: "top_logprobs")
            }
            request.topLogprobs = top
        }
        request.templateVariables = try templateVariables(ordered, reader: reader)
        request.addGenerationPrompt = try reader.bool("add_generation_prompt") ?? true
        request.continueFinalMessage = try reader.bool("continue_final_message") ?? false
        if request.continueFinalMessage {
            if request.addGenerationPrompt && fields["add_generation_prompt"] == .bool(true) {
                throw .invalid("`continue_final_message` and `add_generation_prompt` cannot both be true.", param: "continue_final_message")
            }
            request.addGenerationPrompt = false
            guard case .string("assistant")? = request.messages.last?["role"] else {
                throw .invalid("`continue_final_message` needs the last message to be the assistant's.", param: "continue_final_message")
            }
        }
        request.chatTemplate = try reader.string("chat_template")
        request.addSpecialTokens = try reader.bool("add_special_tokens") ?? false
        return request
    }

    /// `chat_template_kwargs` (an object) and `reasoning_effort`, as template variables.
    static func templateVariables(_ ordered: TemplateValue, reader: FieldReader) throws(OpenAIError) -> [String: TemplateValue] {
        var variables: [String: TemplateValue] = [:]
        switch ordered["chat_template_kwargs"] {
        case nil, .null?: break
        case .object(let pairs)?:
            for (key, value) in pairs { variables[key] = value }
        case let other?:
            throw .invalid("`chat_template_kwargs` must be an object, not \(ChatMessages.typeName(other)).", param: "chat_template_kwargs")
        }
        if let effort = try reader.string("reasoning_effort") {
            guard ["minimal", "low", "medium", "high"].contains(effort) else {
                throw .invalid("`reasoning_effort` must be one of minimal, low, medium, high; got \(effort).", param: "reasoning_effort")
            }
            if variables["reasoning_effort"] == nil { variables["reasoning_effort"] = .string(effort) }
        }
        return variables
    }
}
