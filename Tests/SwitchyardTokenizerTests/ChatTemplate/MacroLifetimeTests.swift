import Foundation
import Testing
@testable import SwitchyardTokenizer

/// A macro stored in the scope it was defined in must not keep that scope alive after the render
/// (regression: the closure captured it strongly, a cycle that leaked every render's scopes, which
/// libFuzzer's leak check found).
@Suite("Template macro lifetime")
struct MacroLifetimeTests {
    @Test(arguments: [
        ("{% macro m(x) %}[{{ x }}]{% endmacro %}{{ m(1) }}", "[1]"),
        ("{% for i in [1, 2] %}{% macro n() %}<{{ i }}>{% endmacro %}{{ n() }}{% endfor %}", "<1><2>"),
        ("{% macro outer() %}({{ caller() }}){% endmacro %}{% call outer() %}c{% endcall %}", "(c)"),
    ])
    func scopesAreFreedAfterTheRender(source: String, expected: String) throws {
        let template = try ChatTemplate(source: source)
        weak var released: Scope?
        func render() throws -> String {
            let root = Scope(parent: nil, vars: [:])
            released = root
            return try Interpreter(now: Date(), timeZone: TimeZone(identifier: "UTC")!).render(template.nodes, scope: root)
        }
        #expect(try render() == expected)
        #expect(released == nil, "the root scope outlived its render")
    }

    /// A template can make a namespace or a loop reach itself (the chat-template fuzzer's leak:
    /// `{% set ns.system_prompt = ns, ... %}`), a cycle ARC never frees: every render would leak
    /// it and what it holds. `canary` is a namespace the render puts in such a cycle (or that a
    /// cycle holds); it must go with the render.
    @Test(arguments: [
        ("{% set ns = namespace(a=1) %}{% set canary = ns %}{% set ns.me = ns %}{{ ns.a }}", "1"),
        ("{% set ns = namespace(a=1) %}{% set canary = ns %}{% set ns.a = ns, ns.a %}{{ ns.a | length }}", "2"),
        ("{% set ns = namespace() %}{% set canary = ns %}{% set ns.d = {'x': [ns]} %}{{ ns.d.x | length }}", "1"),
        ("{% set canary = namespace() %}{% for x in [canary] %}{% set canary.l = loop %}{% endfor %}", ""),
        ("{% set canary = namespace() %}{% for x in [canary] %}{{ loop.changed(loop) }}{% endfor %}", "True"),
    ])
    func selfReferencesAreFreedAfterTheRender(source: String, expected: String) throws {
        let template = try ChatTemplate(source: source)
        let now = Date(), utc = TimeZone(identifier: "UTC")!
        weak var released: Namespace?
        func render() throws -> String {
            let root = Scope(parent: Scope(parent: nil, vars: Globals.make(now: now, timeZone: utc)))
            let output = try Interpreter(now: now, timeZone: utc).render(template.nodes, scope: root)
            guard case .namespace(let canary)? = root.lookup("canary") else { throw TemplateError.runtime(message: "no canary") }
            released = canary
            return output
        }
        #expect(try render() == expected)
        #expect(released == nil, "the namespace outlived its render")
    }
}
