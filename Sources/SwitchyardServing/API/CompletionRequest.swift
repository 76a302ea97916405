import Foundation
import SwitchyardModel

/// A validated `POST /v1/completions` request (OpenAI's legacy completions API plus the vLLM
/// extensions clients rely on: `top_k`, `ignore_eos`, `stop_token_ids`, `return_token_ids`).
///
/// Unknown fields are ignored, as OpenAI's clients expect; known fields with a wrong type or an
/// out-of-range value are refused with a 400 naming the field.
public struct CompletionRequest: Sendable, Equatable {
    /// How the prompt arrived.
    public enum Prompt: Sendable, Equatable {
        case tokens([[Int32]])
        case text([String])
    }

    public var model: String?
    public var prompt: Prompt
    public var maxTokens: Int
    public var temperature: Float
    public var topP: Float
    public var topK: Int
    public var seed: UInt64?
    public var stopStrings: [String]
    public var stopTokenIDs: [Int32]
    public var ignoreEOS: Bool
    public var stream: Bool
    public var includeUsageInStream: Bool
    /// Number of top alternatives per position in `logprobs`, nil when not asked.
    public var logprobs: Int?
    public var returnTokenIDs: Bool
    /// Whether a text prompt gets BOS/EOS as the tokenizer's config says (vLLM's
    /// `add_special_tokens`, default true).
    public var addSpecialTokens: Bool = true
    /// Whether the prompt (and, with `logprobs`, its log-probabilities) comes before the completion.
    public var echo = false
    /// Choices returned per prompt.
    public var n = 1
    /// Sequences generated per prompt, of which the `n` with the highest total log-probability return.
    public var bestOf = 1
    /// vLLM's `prompt_logprobs`: top alternatives per prompt token, nil when not asked.
    public var promptLogprobs: Int?
    /// Penalties, biases, min-p and min-tokens.
    public var extras = SamplingExtras()

    /// The sampling parameters beyond temperature, top-k and top-p.
    public struct SamplingExtras: Sendable, Equatable {
        public var presencePenalty: Float = 0
        public var frequencyPenalty: Float = 0
        public var repetitionPenalty: Float = 1
        public var minP: Float = 0
        public var minTokens = 0
        public var logitBias: [Int32: Float] = [:]

        /// Reads the fields of a completions or chat body; `maxTokens` (when the request set it)
        /// bounds `min_tokens`.
        static func parse(_ fields: [String: JSONValue], reader: FieldReader, maxTokens: Int?) throws(OpenAIError) -> SamplingExtras {
            var sampling = SamplingExtras()
            sampling.presencePenalty = Float(try reader.number("presence_penalty", range: -2...2) ?? 0)
            sampling.frequencyPenalty = Float(try reader.number("frequency_penalty", range: -2...2) ?? 0)
            sampling.repetitionPenalty = Float(try reader.number("repetition_penalty", range: 0...100) ?? 1)
            if sampling.repetitionPenalty <= 0 {
                throw .invalid("`repetition_penalty` must be greater than 0, got \(sampling.repetitionPenalty).", param: "repetition_penalty")
            }
            sampling.minP = Float(try reader.number("min_p", range: 0...1) ?? 0)
            sampling.minTokens = try reader.int("min_tokens", range: 0...Int(Int32.max)) ?? 0
            if let maxTokens, sampling.minTokens > maxTokens {
                throw .invalid("`min_tokens` (\(sampling.minTokens)) must not exceed `max_tokens` (\(maxTokens)).", param: "min_tokens")
            }
            sampling.logitBias = try CompletionRequest.parseLogitBias(fields["logit_bias"])
            return sampling
        }

        /// The engine's parameters: these extras on top of temperature, top-k, top-p and a seed;
        /// `endTokens` are what `min_tokens` holds back.
        func samplingParams(temperature: Float, topK: Int, topP: Float, seed: UInt64?, endTokens: [Int32]) -> SamplingParams {
            var sampling = SamplingParams(temperature: temperature, topK: topK, topP: topP, seed: seed)
            sampling.presencePenalty = presencePenalty
            sampling.frequencyPenalty = frequencyPenalty
            sampling.repetitionPenalty = repetitionPenalty
            sampling.minP = minP
            sampling.logitBias = logitBias
            sampling.minTokens = minTokens
            sampling.endTokens = minTokens > 0 ? endTokens : []
            return sampling
        }
    }

    /// The prompts as sent, when they are text.
    public var promptTexts: [String]? {
        if case .text(let texts) = prompt { return texts }
        return nil
    }

    /// Whether the engine must compute log-probabilities for the prompt's tokens.
    public var needsPromptLogprobs: Bool { promptLogprobs != nil || (echo && logprobs != nil) }
    /// Most choices (`n`, `best_of`) per prompt.
    public static let maxChoices = 128

    /// Most alternatives `logprobs` may ask for.
    public static let maxLogprobs = 20
    /// OpenAI's default `max_tokens` for completions.
    public static let defaultMaxTokens = 16

    /// Parses and validates a JSON body.
    public static func parse(_ body: [UInt8]) throws(OpenAIError) -> CompletionRequest {
        let value: JSONValue
        do {
            value = try JSONDecoding.decode(body)
        } catch {
            throw .invalid("The request body is not valid JSON: \(error)")
        }
        guard case .object(let fields) = value else {
            throw .invalid("The request body must be a JSON object, not \(value.typeName).")
        }
        return try parse(fields)
    }

    static func parse(_ fields: [String: JSONValue]) throws(OpenAIError) -> CompletionRequest {
        let reader = FieldReader(fields: fields)
        let model = try reader.string("model")
        let prompt = try parsePrompt(fields["prompt"])
        let maxTokens = try reader.int("max_tokens", range: 0...Int(Int32.max)) ?? defaultMaxTokens
        let temperature = try reader.number("temperature", range: 0...100) ?? 1
        let topP = try reader.number("top_p", range: 0...1) ?? 1
        if topP <= 0 { throw .invalid("`top_p` must be in (0, 1], got \(topP).", param: "top_p") }
        let topK = try reader.int("top_k", range: -1...Int(Int32.max)) ?? 0
        let seed = try reader.int("seed", range: Int(Int64.min)...Int(Int64.max)).map { UInt64(bitPattern: Int64($0)) }
        let echo = try reader.bool("echo") ?? false
        if maxTokens == 0 && !echo {
            throw .invalid("`max_tokens` must be at least 1 (0 is allowed only with `echo`).", param: "max_tokens")
        }
        let n = try reader.int("n", range: 1...maxChoices) ?? 1
        let bestOf = try reader.int("best_of", range: 1...maxChoices) ?? n
        if bestOf < n { throw .invalid("`best_of` (\(bestOf)) must be at least `n` (\(n)).", param: "best_of") }
        if let suffix = try reader.string("suffix"), !suffix.isEmpty {
            throw .invalid("`suffix` is not supported (insertion needs a fill-in-the-middle model).", param: "suffix")
        }
        try rejectUnsupported(fields)
        let sampling = try SamplingExtras.parse(fields, reader: reader, maxTokens: maxTokens)
        let stopStrings = try parseStop(fields["stop"])
        let stopTokenIDs = try reader.intArray("stop_token_ids").map { $0.map(Int32.init) } ?? []
        let stream = try reader.bool("stream") ?? false
        var includeUsage = false
        if let options = fields["stream_options"], options != .null {
            guard case .object(let optionFields) = options else {
                throw .invalid("`stream_options` must be an object, not \(options.typeName).", param: "stream_options")
            }
            let optionReader = FieldReader(fields: optionFields, prefix: "stream_options.")
            includeUsage = try optionReader.bool("include_usage") ?? false
            if !stream { throw .invalid("`stream_options` is only allowed when `stream` is true.", param: "stream_options") }
        }
        let logprobs: Int?
        if case .bool(let flag)? = fields["logprobs"] {
            logprobs = flag ? 0 : nil  // some clients send a boolean
        } else {
            logprobs = try reader.int("logprobs", range: 0...maxLogprobs)
        }
        let promptLogprobs = try reader.int("prompt_logprobs", range: 0...maxLogprobs)
        if stream && bestOf > n {
            throw .invalid("`best_of` greater than `n` cannot be streamed.", param: "best_of")
        }
        var request = CompletionRequest(
            model: model, prompt: prompt, maxTokens: maxTokens, temperature: Float(temperature),
            topP: Float(topP), topK: topK <= 0 ? 0 : topK, seed: seed, stopStrings: stopStrings,
            stopTokenIDs: stopTokenIDs, ignoreEOS: try reader.bool("ignore_eos") ?? false, stream: stream,
            includeUsageInStream: includeUsage, logprobs: logprobs,
            returnTokenIDs: try reader.bool("return_token_ids") ?? false
        )
        request.addSpecialTokens = try reader.bool("add_special_tokens") ?? true
        request.echo = echo
        request.n = n
        request.bestOf = bestOf
        request.promptLogprobs = promptLogprobs
        request.extras = sampling
        return request
    }

    /// vLLM and OpenAI fields this server does not implement, with the value that means "off":
    /// any other value answers 400 naming the field rather than being silently ignored.
    static let unsupported: [(name: String, off: JSONValue?)] = [
        ("use_beam_search", .bool(false)), ("length_penalty", .int(1)), ("include_stop_str_in_output", .bool(false)),
        ("skip_special_tokens", .bool(true)), ("spaces_between_special_tokens", .bool(true)),
        ("truncate_prompt_tokens", nil), ("allowed_token_ids", nil), ("bad_words", nil), ("prompt_embeds", nil),
        ("guided_json", nil), ("guided_regex", nil), ("guided_choice", nil), ("guided_grammar", nil),
        ("structured_outputs", nil), ("response_format", nil), ("logits_processors", nil), ("lora_request", nil),
    ]

    static func rejectUnsupported(_ fields: [String: JSONValue]) throws(OpenAIError) {
        for (name, off) in unsupported {
            guard let value = fields[name], value != .null else { continue }
            if let off, value == off || (value.number != nil && value.number == off.number) { continue }
            if case .array(let items) = value, items.isEmpty, off == nil { continue }
            throw .invalid("`\(name)` is not supported by this server; leave it out.", param: name)
        }
    }

    /// OpenAI's `logit_bias`: an object from token id (as a string) to a bias in [-100, 100].
    static func parseLogitBias(_ value: JSONValue?) throws(OpenAIError) -> [Int32: Float] {
        guard let value, value != .null else { return [:] }
        guard case .object(let entries) = value else {
            throw .invalid("`logit_bias` must be an object mapping token ids to biases, not \(value.typeName).", param: "logit_bias")
        }
        var biases: [Int32: Float] = [:]
        for (key, bias) in entries {
            guard let token = Int32(key.trimmingCharacters(in: .whitespaces)), token >= 0 else {
                throw .invalid("`logit_bias` keys must be token ids, got \"\(key)\".", param: "logit_bias")
            }
            guard let number = bias.number, number.isFinite, (-100...100).contains(number) else {
                throw .invalid("`logit_bias[\"\(key)\"]` must be a number between -100 and 100.", param: "logit_bias")
            }
            biases[token] = Float(number)
        }
        return biases
    }

    static func parsePrompt(_ value: JSONValue?) throws(OpenAIError) -> Prompt {
        guard let value, value != .null else { throw .invalid("`prompt` is required.", param: "prompt") }
        switch value {
        case .string(let text):
            return .text([text])
        case .array(let items):
            if items.isEmpty { throw .invalid("`prompt` must not be empty.", param: "prompt") }
            if items.allSatisfy({ if case .string = $0 { true } else { false } }) {
                return .text(items.map { if case .string(let s) = $0 { s } else { "" } })
            }
            if items.allSatisfy({ if case .int = $0 { true } else { false } }) {
                return .tokens([try tokenIDs(items, param: "prompt")])
            }
            if items.allSatisfy({ if case .array = $0 { true } else { false } }) {
                var prompts: [[Int32]] = []
                for (index, item) in items.enumerated() {
                    guard case .array(let inner) = item else { continue }
                    if inner.isEmpty { throw .invalid("`prompt[\(index)]` must not be empty.", param: "prompt") }
                    prompts.append(try tokenIDs(inner, param: "prompt[\(index)]"))
                }
                return .tokens(prompts)
            }
            throw .invalid("`prompt` must be a string, an array of strings, an array of token ids or an array of token-id arrays.", param: "prompt")
        default:
            throw .invalid("`prompt` must be a string or an array, not \(value.typeName).", param: "prompt")
        }
    }

    static func tokenIDs(_ items: [JSONValue], param: String) throws(OpenAIError) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(items.count)
        for item in items {
            guard case .int(let id) = item else {
                throw .invalid("`\(param)` must contain only integer token ids, found \(item.typeName).", param: "prompt")
            }
            guard id >= 0, id <= Int64(Int32.max) else {
                throw .invalid("Token id \(id) in `\(param)` is out of range.", param: "prompt")
            }
            ids.append(Int32(id))
        }
        return ids
    }

    static func parseStop(_ value: JSONValue?) throws(OpenAIError) -> [String] {
        switch value {
        case nil, .null?: return []
        case .string(let text)?: return text.isEmpty ? [] : [text]
        case .array(let items)?:
            var stops: [String] = []
            for item in items {
                guard case .string(let text) = item else {
                    throw .invalid("`stop` must be a string or an array of strings, found \(item.typeName).", param: "stop")
                }
                if !text.isEmpty { stops.append(text) }
            }
            return stops
        case let other?:
            throw .invalid("`stop` must be a string or an array of strings, not \(other.typeName).", param: "stop")
        }
    }
}

/// Typed access to the fields of a JSON object with errors that name the field.
struct FieldReader {
    var fields: [String: JSONValue]
    var prefix = ""

    func present(_ key: String) -> JSONValue? {
        guard let value = fields[key], value != .null else { return nil }
        return value
    }

    func string(_ key: String) throws(OpenAIError) -> String? {
        guard let value = present(key) else { return nil }
        guard case .string(let text) = value else { throw typeError(key, "a string", value) }
        return text
    }

    func bool(_ key: String) throws(OpenAIError) -> Bool? {
        guard let value = present(key) else { return nil }
        guard case .bool(let flag) = value else { throw typeError(key, "a boolean", value) }
        return flag
    }

    func int(_ key: String, range: ClosedRange<Int>) throws(OpenAIError) -> Int? {
        guard let value = present(key) else { return nil }
        let integer: Int
        switch value {
        case .int(let raw) where raw >= Int64(Int.min) && raw <= Int64(Int.max): integer = Int(raw)
        case .double(let raw) where raw.rounded() == raw && abs(raw) < 1e15: integer = Int(raw)
        default: throw typeError(key, "an integer", value)
        }
        guard range.contains(integer) else {
            let bounds = range.upperBound == Int.max ? "at least \(range.lowerBound)" : "between \(range.lowerBound) and \(range.upperBound)"
            throw .invalid("`\(prefix)\(key)` must be \(bounds), got \(integer).", param: prefix + key)
        }
        return integer
    }

    func number(_ key: String, range: ClosedRange<Double>) throws(OpenAIError) -> Double? {
        guard let value = present(key) else { return nil }
        guard let number = value.number, number.isFinite else { throw typeError(key, "a number", value) }
        guard range.contains(number) else {
            throw .invalid("`\(prefix)\(key)` must be between \(range.lowerBound) and \(range.upperBound), got \(number).", param: prefix + key)
        }
        return number
    }

    func intArray(_ key: String) throws(OpenAIError) -> [Int]? {
        guard let value = present(key) else { return nil }
        guard case .array(let items) = value else { throw typeError(key, "an array of integers", value) }
        var result: [Int] = []
        for item in items {
            guard case .int(let raw) = item, raw >= 0, raw <= Int64(Int32.max) else {
                throw .invalid("`\(prefix)\(key)` must contain only non-negative integer token ids.", param: prefix + key)
            }
            result.append(Int(raw))
        }
        return result
    }

    func typeError(_ key: String, _ expected: String, _ value: JSONValue) -> OpenAIError {
        .invalid("`\(prefix)\(key)` must be \(expected), not \(value.typeName).", param: prefix + key)
    }
}
