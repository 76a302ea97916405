import Foundation
import SwitchyardTokenizer

/// One tool call read from a model's output.
struct ParsedToolCall: Sendable, Equatable {
    var name: String
    /// The arguments as a JSON string (OpenAI's `function.arguments`).
    var arguments: String
}

/// Reads tool calls from the text of an answer, in the formats chat templates teach models:
///
/// * Hermes / Qwen: `<tool_call>{"name": ..., "arguments": {...}}</tool_call>`, one block per call;
/// * Mistral: `[TOOL_CALLS][{"name": ..., "arguments": {...}}, ...]`, or the newer
///   `[TOOL_CALLS]name[ARGS]{...}` per call;
/// * Llama 3: the whole answer is `{"name": ..., "parameters": {...}}` (several joined by `;`),
///   optionally after `<|python_tag|>`.
///
/// Text before the first marker is the answer's content. Output that looks like a call but does not
/// parse is left as content, as vLLM's parsers do.
enum ChatToolCallParser {
    enum Format: Sendable, Equatable { case hermes, mistral, llamaJSON }

    static let hermesOpen = "<tool_call>"
    static let hermesClose = "</tool_call>"
    static let mistralMarker = "[TOOL_CALLS]"
    static let mistralArgs = "[ARGS]"
    static let pythonTag = "<|python_tag|>"
    /// Markers that start the tool-call part of an answer.
    static let markers = [hermesOpen, mistralMarker, pythonTag]
    /// Special tokens the output must keep for the parsers to see them.
    static let keptTokens = [hermesOpen, hermesClose, mistralMarker, mistralArgs, pythonTag]

    struct Result: Sendable, Equatable {
        var content: String
        var calls: [ParsedToolCall]
        var format: Format
    }

    /// The calls in `text`, nil when it holds none that parse.
    static func parse(_ text: String) -> Result? {
        if let marker = text.range(of: mistralMarker) {
            guard let calls = mistral(text[marker.upperBound...]) else { return nil }
            return Result(content: String(text[..<marker.lowerBound]), calls: calls, format: .mistral)
        }
        if let marker = text.range(of: hermesOpen) {
            guard let calls = hermes(text[marker.lowerBound...]) else { return nil }
            return Result(content: String(text[..<marker.lowerBound]), calls: calls, format: .hermes)
        }
        var body = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        var content = ""
        if let tag = text.range(of: pythonTag) {
            content = String(text[..<tag.lowerBound])
            body = Substring(text[tag.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines))
        }
        guard body.hasPrefix("{"), let calls = llamaJSON(body) else { return nil }
        return Result(content: content, calls: calls, format: .llamaJSON)
    }

    /// Every `<tool_call>` block; the last may be unclosed when the answer ended inside it.
    static func hermes(_ text: Substring) -> [ParsedToolCall]? {
        var calls: [ParsedToolCall] = []
        var rest = text
        while let open = rest.range(of: hermesOpen) {
            let afterOpen = rest[open.upperBound...]
            let close = afterOpen.range(of: hermesClose)
            let body = close.map { afterOpen[..<$0.lowerBound] } ?? afterOpen
            guard let call = call(from: body, argumentKeys: ["arguments", "parameters"]) else { return nil }
            calls.append(call)
            rest = close.map { afterOpen[$0.upperBound...] } ?? ""
        }
        return calls.isEmpty ? nil : calls
    }

    static func mistral(_ text: Substring) -> [ParsedToolCall]? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("[") || trimmed.hasPrefix("{") {
            guard let value = try? TemplateValue(jsonString: trimmed) else { return nil }
            let items: [TemplateValue]
            if case .array(let array) = value { items = array } else { items = [value] }
            let calls = items.compactMap { call(from: $0, argumentKeys: ["arguments", "parameters"]) }
            return calls.isEmpty || calls.count != items.count ? nil : calls
        }
        // name[ARGS]{...}, repeated with [TOOL_CALLS] between calls.
        var calls: [ParsedToolCall] = []
        for piece in trimmed.components(separatedBy: mistralMarker) where !piece.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let args = piece.range(of: mistralArgs) else { return nil }
            let name = piece[..<args.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
            guard !name.isEmpty, let value = try? TemplateValue(jsonString: String(piece[args.upperBound...])),
                  let arguments = try? value.jsonText() else { return nil }
            calls.append(ParsedToolCall(name: name, arguments: arguments))
        }
        return calls.isEmpty ? nil : calls
    }

    static func llamaJSON(_ text: Substring) -> [ParsedToolCall]? {
        if let value = try? TemplateValue(jsonString: String(text)) {
            return call(from: value, argumentKeys: ["parameters", "arguments"]).map { [$0] }
        }
        var calls: [ParsedToolCall] = []
        for piece in text.components(separatedBy: ";") where !piece.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            guard let call = call(from: Substring(piece), argumentKeys: ["parameters", "arguments"]) else { return nil }
            calls.append(call)
        }
        return calls.isEmpty ? nil : calls
    }

    static func call(from json: Substring, argumentKeys: [String]) -> ParsedToolCall? {
        let trimmed = json.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let value = try? TemplateValue(jsonString: trimmed) else { return nil }
        return call(from: value, argumentKeys: argumentKeys)
    }

    /// `{"name": ..., "arguments": {...}}`; arguments sent as a JSON string are kept as that string.
    static func call(from value: TemplateValue, argumentKeys: [String]) -> ParsedToolCall? {
        guard case .string(let name)? = value["name"], !name.isEmpty else { return nil }
        let arguments: String
        switch argumentKeys.lazy.compactMap({ value[$0] }).first {
        case nil, .null?: arguments = "{}"
        case .string(let text)?: arguments = text
        case let object?:
            guard let text = try? object.jsonText() else { return nil }
            arguments = text
        }
        return ParsedToolCall(name: name, arguments: arguments)
    }
}
