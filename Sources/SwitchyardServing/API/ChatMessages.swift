import Foundation
import SwitchyardTokenizer

/// Validates `messages` and turns them into what chat templates expect.
///
/// Content given as parts becomes one string (text parts joined with newlines, as vLLM's
/// "string" content format); the `arguments` of an assistant's earlier tool calls, a JSON string in
/// OpenAI's API, become the object templates render with `tojson`. Other keys pass through in order.
enum ChatMessages {
    static func parse(_ value: TemplateValue?) throws(OpenAIError) -> [TemplateValue] {
        guard let value, value != .null else { throw .invalid("`messages` is required.", param: "messages") }
        guard case .array(let items) = value else {
            throw .invalid("`messages` must be an array of message objects, not \(typeName(value)).", param: "messages")
        }
        if items.isEmpty { throw .invalid("`messages` must not be empty.", param: "messages") }
        var messages: [TemplateValue] = []
        messages.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            messages.append(try message(item, path: "messages[\(index)]"))
        }
        return messages
    }

    static func message(_ item: TemplateValue, path: String) throws(OpenAIError) -> TemplateValue {
        guard case .object(let pairs) = item else {
            throw .invalid("`\(path)` must be an object, not \(typeName(item)).", param: "messages")
        }
        guard case .string(let role)? = item["role"], !role.isEmpty else {
            throw .invalid("`\(path).role` is required and must be a string.", param: "messages")
        }
        var result: [(key: String, value: TemplateValue)] = []
        for (key, value) in pairs {
            switch key {
            case "content": result.append((key: key, value: try content(value, path: "\(path).content")))
            case "tool_calls" where role == "assistant": result.append((key: key, value: try toolCalls(value, path: "\(path).tool_calls")))
            default: result.append((key: key, value: value))
            }
        }
        return .object(result)
    }

    static func content(_ value: TemplateValue, path: String) throws(OpenAIError) -> TemplateValue {
        switch value {
        case .null, .string: return value
        case .array(let parts):
            var texts: [String] = []
            for (index, part) in parts.enumerated() {
                guard case .string(let type)? = part["type"] else {
                    throw .invalid("`\(path)[\(index)]` must be an object with a `type`.", param: "messages")
                }
                guard type == "text" else {
                    throw .invalid("`\(path)[\(index)]` has type `\(type)`: only text content parts are supported.", param: "messages")
                }
                guard case .string(let text)? = part["text"] else {
                    throw .invalid("`\(path)[\(index)].text` must be a string.", param: "messages")
                }
                texts.append(text)
            }
            return .string(texts.joined(separator: "\n"))
        default:
            throw .invalid("`\(path)` must be a string, an array of text parts or null, not \(typeName(value)).", param: "messages")
        }
    }

    static func toolCalls(_ value: TemplateValue, path: String) throws(OpenAIError) -> TemplateValue {
        switch value {
        case .null: return value
        case .array(let calls):
            var result: [TemplateValue] = []
            for (index, call) in calls.enumerated() {
                guard case .object(let pairs) = call, case .object(let function)? = call["function"] else {
                    throw .invalid("`\(path)[\(index)]` must be an object with a `function` object.", param: "messages")
                }
                let converted = function.map { pair -> (key: String, value: TemplateValue) in
                    guard pair.key == "arguments", case .string(let text) = pair.value,
                          let object = try? TemplateValue(jsonString: text) else { return pair }
                    return (key: pair.key, value: object)
                }
                result.append(.object(pairs.map { $0.key == "function" ? (key: $0.key, value: TemplateValue.object(converted)) : $0 }))
            }
            return .array(result)
        default:
            throw .invalid("`\(path)` must be an array, not \(typeName(value)).", param: "messages")
        }
    }

    static func typeName(_ value: TemplateValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .int: "integer"
        case .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
