/// Constant values that can appear literally in template source.
enum Literal: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
}

/// Binary arithmetic operators (`~` is string concatenation).
enum BinaryOp: String, Sendable {
    case add = "+", sub = "-", mul = "*", div = "/", floorDiv = "//", mod = "%", pow = "**", concat = "~"
}

/// Comparison operators, chained Python-style (`a < b < c`).
enum CompareOp: String, Sendable {
    case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">=", `in` = "in", notIn = "not in"
}

/// Positional and keyword arguments of a call, filter or test.
struct Arguments: Sendable {
    var positional: [Expr] = []
    var keyword: [(String, Expr)] = []
}

/// Expressions.
indirect enum Expr: Sendable {
    case literal(Literal)
    case name(String)
    case list([Expr])
    case tuple([Expr])
    case dict([(Expr, Expr)])
    case attribute(Expr, String)
    case item(Expr, Expr)
    case slice(Expr, start: Expr?, stop: Expr?, step: Expr?)
    case call(Expr, Arguments)
    case filter(Expr, name: String, Arguments)
    case test(Expr, name: String, Arguments, negated: Bool)
    case not(Expr)
    case negate(Expr)
    case plus(Expr)
    case binary(BinaryOp, Expr, Expr)
    case and(Expr, Expr)
    case or(Expr, Expr)
    case compare(Expr, [(CompareOp, Expr)])
    case conditional(test: Expr, then: Expr, otherwise: Expr?)
}

/// Assignment targets of `set` and `for`.
indirect enum Target: Sendable {
    case name(String)
    /// `ns.attr = ...` (only valid on namespaces).
    case attribute(String, String)
    case tuple([Target])
}

/// A filter applied in a `{% filter %}` block or a block `{% set x | f %}`.
struct FilterCall: Sendable {
    let name: String
    let arguments: Arguments
}

/// A macro parameter with an optional default expression.
struct Parameter: Sendable {
    let name: String
    let defaultValue: Expr?
}

/// `{% macro %}` definitions (and `{% call %}` bodies, which are anonymous macros).
final class MacroDefinition: Sendable {
    let name: String
    let parameters: [Parameter]
    let body: [Node]

    init(name: String, parameters: [Parameter], body: [Node]) {
        self.name = name
        self.parameters = parameters
        self.body = body
    }
}

/// Template statements.
indirect enum Node: Sendable {
    case text(String)
    case output(Expr, line: Int)
    case ifChain([(Expr, [Node])], otherwise: [Node], line: Int)
    case forLoop(target: Target, iterable: Expr, filter: Expr?, body: [Node], otherwise: [Node], recursive: Bool, line: Int)
    case set(Target, Expr, line: Int)
    case setBlock(Target, filters: [FilterCall], body: [Node], line: Int)
    case macro(MacroDefinition)
    case callBlock(call: Expr, caller: MacroDefinition, line: Int)
    case filterBlock([FilterCall], body: [Node], line: Int)
    case breakLoop
    case continueLoop
    /// `{% generation %}` from transformers' AssistantTracker: renders its body unchanged.
    case generation([Node])
}
