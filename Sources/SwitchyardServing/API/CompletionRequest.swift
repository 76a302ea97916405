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
        let maxTokens = try reader.int("max_tokens", range: 1...Int(Int32.max)) ?? defaultMaxTokens
        let temperature = try reader.number("temperature", range: 0...100) ?? 1
        let topP = try reader.number("top_p", range: 0...1) ?? 1
        if topP <= 0 { throw .invalid("`top_p` must be in (0, 1], got \(topP).", param: "top_p") }
        let topK = try reader.int("top_k", range: -1...Int(Int32.max)) ?? 0
        let seed = try reader.int("seed", range: Int(Int64.min)...Int(Int64.max)).map { UInt64(bitPattern: Int64($0)) }
        let n = try reader.int("n", range: 1...Int.max) ?? 1
        if n != 1 { throw .invalid("Only `n` = 1 is supported, got \(n).", param: "n") }
        if let bestOf = try reader.int("best_of", range: 1...Int.max), bestOf != 1 {
            throw .invalid("Only `best_of` = 1 is supported, got \(bestOf).", param: "best_of")
        }
        if try reader.bool("echo") == true {
            throw .invalid("`echo` is not supported.", param: "echo")
        }
        for penalty in ["presence_penalty", "frequency_penalty"] {
            if let value = try reader.number(penalty, range: -2...2), value != 0 {
                throw .invalid("`\(penalty)` is not supported; send 0 or leave it out.", param: penalty)
            }
        }
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
        var request = CompletionRequest(
            model: model, prompt: prompt, maxTokens: maxTokens, temperature: Float(temperature),
            topP: Float(topP), topK: topK <= 0 ? 0 : topK, seed: seed, stopStrings: stopStrings,
            stopTokenIDs: stopTokenIDs, ignoreEOS: try reader.bool("ignore_eos") ?? false, stream: stream,
            includeUsageInStream: includeUsage, logprobs: logprobs,
            returnTokenIDs: try reader.bool("return_token_ids") ?? false
        )
        request.addSpecialTokens = try reader.bool("add_special_tokens") ?? true
        return request
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
            if stops.count > 4 { throw .invalid("`stop` takes at most 4 sequences.", param: "stop") }
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
