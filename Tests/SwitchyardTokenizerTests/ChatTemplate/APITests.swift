import SwitchyardTokenizer
import Foundation
import Testing

/// Public API behaviour: parsing errors, JSON input, globals, front-end variables.
@Suite("ChatTemplate API")
struct APITests {
    @Test func syntaxErrorReportsLine() {
        #expect(throws: TemplateError.syntax(message: "encountered unknown tag 'frobnicate'", line: 3)) {
            try ChatTemplate(source: "a\nb\n{% frobnicate %}")
        }
        do {
            _ = try ChatTemplate(source: "{% if x %}\nunterminated")
            Issue.record("expected a syntax error")
        } catch let error as TemplateError {
            guard case .syntax(_, let line) = error else { Issue.record("wrong error \(error)"); return }
            #expect(line == 2)
            #expect(error.description.hasPrefix("template syntax error on line 2"))
        } catch {
            Issue.record("unexpected error type")
        }
    }

    @Test func raiseExceptionCarriesMessage() throws {
        let t = try ChatTemplate(source: "{{ raise_exception('Roles must alternate') }}")
        #expect(throws: TemplateError.raised(message: "Roles must alternate")) { try t.render(messages: []) }
    }

    @Test func strftimeNowUsesInjectedClock() throws {
        var t = try ChatTemplate(source: "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M:%S %A %B') }}")
        t.clock = { Date(timeIntervalSince1970: 1_736_931_907) }
        t.timeZone = TimeZone(identifier: "UTC")!
        #expect(try t.render(messages: []) == "15 Jan 2025|2025-01-15 09:05:07 Wednesday January")
    }

    @Test func frontEndVariables() throws {
        let t = try ChatTemplate(source: """
            {{ bos_token }}{{ tools is none }},{{ documents is none }},{{ add_generation_prompt }},{{ messages | length }},{{ enable_thinking }}{{ eos_token }}
            """)
        let out = try t.render(messages: [["role": "user", "content": "hi"]], addGenerationPrompt: true,
                               bosToken: "<s>", eosToken: "</s>", extra: ["enable_thinking": false])
        #expect(out == "<s>True,True,True,1,False</s>")
        let noTokens = try ChatTemplate(source: "[{{ bos_token }}]").render(messages: [])
        #expect(noTokens == "[]")
    }

    @Test func jsonInputKeepsKeyOrder() throws {
        let json = #"{"z": 1, "a": {"y": [1, 2.0, -3e2, true, null], "b": "\u00e9\ud83d\ude00\n"}, "m": 1.5}"#
        let v = try TemplateValue(jsonString: json)
        guard case .object(let pairs) = v else { Issue.record("not an object"); return }
        #expect(pairs.map(\.key) == ["z", "a", "m"])
        let t = try ChatTemplate(source: "{{ x | tojson }}|{% for k, v in x.a.items() %}{{ k }};{% endfor %}")
        #expect(try t.render(context: ["x": v]) == #"{"z": 1, "a": {"y": [1, 2.0, -300.0, true, null], "b": "é😀\n"}, "m": 1.5}|y;b;"#)
    }

    @Test func invalidJSONThrows() {
        #expect(throws: TemplateError.self) { try TemplateValue(jsonString: #"{"a": }"#) }
        #expect(throws: TemplateError.self) { try TemplateValue(jsonString: "[1, 2") }
    }

    @Test func generationBlockRendersBody() throws {
        let t = try ChatTemplate(source: "{% generation %}answer{% endgeneration %}")
        #expect(try t.render(messages: []) == "answer")
    }

    @Test func errorMessagesAreHumanReadable() throws {
        let t = try ChatTemplate(source: "{{ messages[0].content.strip() }}")
        do {
            _ = try t.render(messages: [["role": "user"]])
            Issue.record("expected an error")
        } catch let error as TemplateError {
            #expect(error == .undefined(message: "'dict object' has no attribute 'content'"))
        }
    }
}
