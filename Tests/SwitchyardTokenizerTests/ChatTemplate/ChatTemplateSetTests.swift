import Foundation
import TestSupport
import Testing
@testable import SwitchyardTokenizer

/// Where a model's chat template comes from, and which one a request gets.
@Suite("Chat template sources")
struct ChatTemplateSetTests {
    func write(_ object: Any, to directory: URL) throws {
        try JSONSerialization.data(withJSONObject: object).write(to: directory.appendingPathComponent("tokenizer_config.json"))
    }

    func rendered(_ set: ChatTemplateSet, tools: Bool = false) throws -> String {
        try set.template(hasTools: tools).render(messages: [["role": "user", "content": "hi"]],
                                                 tools: tools ? [["type": "function"]] : nil,
                                                 bosToken: set.bosToken, eosToken: set.eosToken)
    }

    @Test func stringTemplateAndSpecialTokensFromTokenizerConfig() throws {
        let directory = try TemporaryDirectory()
        try write(["chat_template": "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}",
                   "bos_token": ["content": "<s>", "lstrip": false, "__type": "AddedToken"], "eos_token": "</s>"], to: directory.url)
        let set = try #require(try ChatTemplateSet.load(directory: directory.url))
        #expect(set.bosToken == "<s>" && set.eosToken == "</s>")
        #expect(try rendered(set) == "<s>hi</s>")
        #expect(!set.emitsThinking)
    }

    @Test func namedTemplatesPickToolUseForToolsAndHonourAChosenName() throws {
        let directory = try TemporaryDirectory()
        try write(["chat_template": [["name": "default", "template": "plain"], ["name": "tool_use", "template": "tools"],
                                     ["name": "rag", "template": "<think>rag"]]], to: directory.url)
        let set = try #require(try ChatTemplateSet.load(directory: directory.url))
        #expect(try rendered(set) == "plain" && (try rendered(set, tools: true)) == "tools")
        #expect(set.emitsThinking)
        let chosen = try #require(try ChatTemplateSet.load(directory: directory.url, name: "rag"))
        #expect(try rendered(chosen) == "<think>rag" && (try rendered(chosen, tools: true)) == "<think>rag")
        #expect(throws: ChatTemplateLoadError.self) { try ChatTemplateSet.load(directory: directory.url, name: "nope") }
    }

    @Test func jinjaFileWinsAndTheFlagOverridesBoth() throws {
        let directory = try TemporaryDirectory()
        try write(["chat_template": "from config", "eos_token": "</s>"], to: directory.url)
        try "from jinja{{ eos_token }}".write(to: directory.url.appendingPathComponent("chat_template.jinja"), atomically: true, encoding: .utf8)
        #expect(try rendered(try #require(try ChatTemplateSet.load(directory: directory.url))) == "from jinja</s>")
        let override = directory.url.appendingPathComponent("override.jinja")
        try "override{{ eos_token }}".write(to: override, atomically: true, encoding: .utf8)
        let set = try #require(try ChatTemplateSet.load(directory: directory.url, overrideFile: override.path))
        #expect(try rendered(set) == "override</s>")
    }

    @Test func embeddedTemplateIsTheFallbackAndNoneIsNil() throws {
        let directory = try TemporaryDirectory()
        #expect(try ChatTemplateSet.load(directory: directory.url) == nil)
        try write(["eos_token": "</s>"], to: directory.url)
        #expect(try ChatTemplateSet.load(directory: directory.url) == nil)
        let set = try #require(try ChatTemplateSet.load(directory: directory.url, embedded: "gguf{{ eos_token }}"))
        #expect(try rendered(set) == "gguf</s>")
        #expect(try rendered(try #require(try ChatTemplateSet.load(directory: nil, embedded: "only"))) == "only")
        // GGUF's tokenizer.chat_template.NAME entries sit beside the default one.
        let named = try #require(try ChatTemplateSet.load(directory: nil, embedded: "plain", embeddedNamed: ["tool_use": "tools"]))
        #expect(try rendered(named) == "plain" && (try rendered(named, tools: true)) == "tools")
    }

    @Test func badTemplatesAreClearErrors() throws {
        let directory = try TemporaryDirectory()
        try write(["chat_template": "{% for %}"], to: directory.url)
        #expect(throws: ChatTemplateLoadError.self) { try ChatTemplateSet.load(directory: directory.url) }
        try write(["chat_template": 5], to: directory.url)
        #expect(throws: ChatTemplateLoadError.self) { try ChatTemplateSet.load(directory: directory.url) }
        #expect(throws: ChatTemplateLoadError.self) { try ChatTemplateSet.load(directory: nil, overrideFile: "/no/such/file.jinja") }
    }
}
