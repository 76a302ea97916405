import Foundation
import SwitchyardTokenizer

/// The chat-template (Jinja) engine: the input is a template's source (requests may send their
/// own with `chat_template`), parsed and rendered against a small conversation with tools. Either
/// it renders or it throws `TemplateError`; it never crashes.
enum ChatTemplateFuzz {
    static let messages: [TemplateValue] = [
        .object([("role", .string("system")), ("content", .string("Be brief."))]),
        .object([("role", .string("user")), ("content", .string("What is 2+2? <b>&amp;</b> \"quoted\" ünïcode"))]),
        .object([("role", .string("assistant")), ("content", .string("4")),
                 ("tool_calls", .array([.object([("type", .string("function")), ("function", .object([
                     ("name", .string("add")), ("arguments", .object([("a", .int(2)), ("b", .double(2.5))])),
                 ]))])]))]),
        .object([("role", .string("tool")), ("content", .string("4.5")), ("tool_call_id", .string("call_1"))]),
    ]
    static let tools: [TemplateValue] = [
        .object([("type", .string("function")), ("function", .object([
            ("name", .string("add")), ("description", .string("Adds.")),
            ("parameters", .object([("type", .string("object")), ("properties", .object([("a", .object([("type", .string("number"))]))]))])),
        ]))]),
    ]

    static func run(_ data: [UInt8]) {
        let source = String(decoding: data, as: UTF8.self)
        guard var template = try? ChatTemplate(source: source) else { return }
        template.clock = { Date(timeIntervalSince1970: 1_700_000_000) }
        template.timeZone = TimeZone(identifier: "UTC")!
        _ = try? template.render(messages: messages, tools: tools, addGenerationPrompt: true, bosToken: "<s>", eosToken: "</s>",
                                 extra: ["enable_thinking": .bool(false)])
    }
}
