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
}
