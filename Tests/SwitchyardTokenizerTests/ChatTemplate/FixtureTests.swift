import SwitchyardTokenizer
import Foundation
import Testing

/// Renders every real-world template in `Fixtures/templates` against the conversations recorded
/// by `scripts/make_chat_template_fixtures.py` (Python Jinja2 configured as transformers does)
/// and compares byte for byte; expected template errors must be thrown too.
@Suite("Real chat templates match Python Jinja2")
struct FixtureTests {
    /// Templates deliberately not checked, with the reason. Empty means every template is covered.
    static let outOfScope: [String: String] = [:]

    struct Case: Sendable, CustomTestStringConvertible {
        let template: String
        let name: String
        let input: TemplateValue
        var testDescription: String { "\(template) / \(name)" }
    }

    static let fixtureRoot: URL = Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent("chat_templates")

    static func loadCases() throws -> [Case] {
        let data = try Data(contentsOf: fixtureRoot.appendingPathComponent("chat_template_cases.json"))
        let root = try TemplateValue(json: data)
        guard case .array(let cases)? = root["cases"] else { return [] }
        return cases.compactMap { c in
            guard case .string(let t)? = c["template"], case .string(let n)? = c["case"] else { return nil }
            return Case(template: t, name: n, input: c)
        }
    }

    static let fixedNow = Date(timeIntervalSince1970: 1_736_931_907)  // 2025-01-15 09:05:07 UTC

    static func render(_ c: Case) throws -> String {
        let source = try String(contentsOf: fixtureRoot.appendingPathComponent("templates/\(c.template)"), encoding: .utf8)
        var template = try ChatTemplate(source: source)
        template.clock = { fixedNow }
        template.timeZone = TimeZone(identifier: "UTC")!
        guard case .array(let messages)? = c.input["messages"] else { throw TemplateError.runtime(message: "bad fixture") }
        var tools: [TemplateValue]? = nil
        if case .array(let t)? = c.input["tools"] { tools = t }
        var extra: [String: TemplateValue] = [:]
        if case .object(let pairs)? = c.input["extra"] { for (k, v) in pairs { extra[k] = v } }
        return try template.render(
            messages: messages, tools: tools,
            addGenerationPrompt: c.input["add_generation_prompt"] == .bool(true),
            bosToken: "<s>", eosToken: "</s>", extra: extra)
    }

    @Test("fixture case", arguments: try loadCases())
    func fixture(_ c: Case) throws {
        if let reason = Self.outOfScope[c.template] {
            withKnownIssue("out of scope: \(reason)") { _ = try Self.render(c) }
            return
        }
        if case .string(let expected)? = c.input["expected"] {
            let actual = try Self.render(c)
            if actual != expected, let dir = ProcessInfo.processInfo.environment["CHAT_TEMPLATE_DUMP_DIR"] {
                try? actual.write(toFile: "\(dir)/\(c.template).\(c.name).actual", atomically: true, encoding: .utf8)
                try? expected.write(toFile: "\(dir)/\(c.template).\(c.name).expected", atomically: true, encoding: .utf8)
            }
            #expect(actual == expected, "\(c.template) / \(c.name): output differs\n--- expected\n\(expected)\n--- actual\n\(actual)")
        } else if case .string(let message)? = c.input["expected_error"] {
            do {
                let out = try Self.render(c)
                Issue.record("\(c.template) / \(c.name): expected error \(message) but rendered:\n\(out)")
            } catch let error as TemplateError {
                if c.input["error_type"] == .string("TemplateError") {
                    // raise_exception(...) — the message must match exactly.
                    #expect(error == .raised(message: message))
                }
            }
        }
    }

    @Test("every template file has fixture cases")
    func coverage() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.fixtureRoot.appendingPathComponent("templates").path)
            .filter { $0.hasSuffix(".jinja") }
        let cases = try Self.loadCases()
        #expect(names.count >= 70)
        for n in names {
            #expect(cases.filter { $0.template == n }.count >= 3, "\(n) has fewer than 3 cases")
        }
    }
}
