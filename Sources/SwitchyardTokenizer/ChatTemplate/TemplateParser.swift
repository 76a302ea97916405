/// Recursive-descent parser producing the template AST, following Jinja2's grammar and
/// operator precedence (`parser.py`): conditional < or < and < not < comparisons <
/// `+ -` < `~` < `* / // %` < `**` < unary `- +` < postfix (`.attr`, `[i]`, calls) < filters/tests.
struct Parser {
    private let tokens: [Token]
    private var pos = 0

    init(tokens: [Token]) { self.tokens = tokens }

    // MARK: token helpers

    private var current: Token { tokens[pos] }
    private var line: Int { current.line }

    private func peekKind(_ offset: Int = 1) -> TokenKind {
        let p = pos + offset
        return p < tokens.count ? tokens[p].kind : .eof
    }

    private mutating func next() -> Token {
        let t = tokens[pos]
        if pos < tokens.count - 1 { pos += 1 }
        return t
    }

    private func fail(_ message: String) -> TemplateError { .syntax(message: message, line: line) }

    private func describe(_ k: TokenKind) -> String {
        switch k {
        case .text: return "template data"
        case .variableBegin: return "'{{'"
        case .variableEnd: return "'}}'"
        case .blockBegin: return "'{%'"
        case .blockEnd: return "'%}'"
        case .name(let n): return "'\(n)'"
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .op(let o): return "'\(o)'"
        case .eof: return "end of template"
        }
    }

    private func isName(_ n: String) -> Bool { if case .name(n) = current.kind { return true } else { return false } }
    private func isOp(_ o: String) -> Bool { if case .op(o) = current.kind { return true } else { return false } }

    private mutating func skipName(_ n: String) -> Bool {
        if isName(n) { _ = next(); return true }
        return false
    }

    private mutating func skipOp(_ o: String) -> Bool {
        if isOp(o) { _ = next(); return true }
        return false
    }

    private mutating func expectOp(_ o: String) throws {
        guard skipOp(o) else { throw fail("expected '\(o)', got \(describe(current.kind))") }
    }

    private mutating func expectName() throws -> String {
        guard case .name(let n) = current.kind else { throw fail("expected a name, got \(describe(current.kind))") }
        _ = next()
        return n
    }

    private mutating func expectBlockEnd() throws {
        guard current.kind == .blockEnd else {
            throw fail("expected end of statement block '%}', got \(describe(current.kind))")
        }
        _ = next()
    }

    // MARK: statements

    mutating func parseTemplate() throws -> [Node] {
        let (nodes, end) = try parseBody(until: [])
        if let end { throw fail("unexpected '\(end)'") }
        return nodes
    }

    /// Parses nodes until a block tag whose name is in `until` (consumed, returned) or end of input.
    private mutating func parseBody(until: Set<String>) throws -> ([Node], String?) {
        var nodes: [Node] = []
        while true {
            let tok = current
            switch tok.kind {
            case .eof:
                if !until.isEmpty {
                    let expected = until.sorted().map { "'\($0)'" }.joined(separator: " or ")
                    throw fail("unexpected end of template; expected \(expected)")
                }
                return (nodes, nil)
            case .text(let s):
                _ = next()
                nodes.append(.text(s))
            case .variableBegin:
                _ = next()
                let e = try parseTuple(withCondexpr: true)
                guard current.kind == .variableEnd else {
                    throw fail("expected end of print statement '}}', got \(describe(current.kind))")
                }
                _ = next()
                nodes.append(.output(e, line: tok.line))
            case .blockBegin:
                _ = next()
                guard case .name(let tag) = current.kind else { throw fail("tag name expected") }
                if until.contains(tag) {
                    _ = next()
                    return (nodes, tag)
                }
                nodes.append(try parseStatement(tag))
            default:
                throw fail("unexpected \(describe(tok.kind))")
            }
        }
    }

    private mutating func parseStatement(_ tag: String) throws -> Node {
        let startLine = line
        _ = next()
        switch tag {
        case "if":
            var branches: [(Expr, [Node])] = []
            var cond = try parseTuple(withCondexpr: true)
            while true {
                try expectBlockEnd()
                let (body, end) = try parseBody(until: ["elif", "else", "endif"])
                branches.append((cond, body))
                if end == "elif" {
                    cond = try parseTuple(withCondexpr: true)
                    continue
                }
                if end == "else" {
                    try expectBlockEnd()
                    let (otherwise, _) = try parseBody(until: ["endif"])
                    try expectBlockEnd()
                    return .ifChain(branches, otherwise: otherwise, line: startLine)
                }
                try expectBlockEnd()
                return .ifChain(branches, otherwise: [], line: startLine)
            }
        case "for":
            let target = try parseAssignTarget(allowNamespace: false)
            guard skipName("in") else { throw fail("expected 'in' in for loop") }
            let iterable = try parseTuple(withCondexpr: false, extraEnd: ["recursive"])
            var filter: Expr? = nil
            if skipName("if") { filter = try parseExpression() }
            let recursive = skipName("recursive")
            try expectBlockEnd()
            let (body, end) = try parseBody(until: ["endfor", "else"])
            var otherwise: [Node] = []
            if end == "else" {
                try expectBlockEnd()
                (otherwise, _) = try parseBody(until: ["endfor"])
            }
            try expectBlockEnd()
            return .forLoop(target: target, iterable: iterable, filter: filter, body: body,
                            otherwise: otherwise, recursive: recursive, line: startLine)
        case "set":
            let target = try parseAssignTarget(allowNamespace: true)
            if skipOp("=") {
                let value = try parseTuple(withCondexpr: true)
                try expectBlockEnd()
                return .set(target, value, line: startLine)
            }
            var filters: [FilterCall] = []
            while skipOp("|") { filters.append(try parseFilterCall()) }
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endset"])
            try expectBlockEnd()
            return .setBlock(target, filters: filters, body: body, line: startLine)
        case "macro":
            let name = try expectName()
            let params = try parseSignature()
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endmacro"])
            if case .name = current.kind { _ = next() }
            try expectBlockEnd()
            return .macro(MacroDefinition(name: name, parameters: params, body: body))
        case "call":
            var params: [Parameter] = []
            if isOp("(") { params = try parseSignature() }
            let call = try parseExpression()
            guard case .call = call else { throw fail("expected call") }
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endcall"])
            try expectBlockEnd()
            return .callBlock(call: call, caller: MacroDefinition(name: "caller", parameters: params, body: body),
                              line: startLine)
        case "filter":
            var filters = [try parseFilterCall()]
            while skipOp("|") { filters.append(try parseFilterCall()) }
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endfilter"])
            try expectBlockEnd()
            return .filterBlock(filters, body: body, line: startLine)
        case "break":
            try expectBlockEnd()
            return .breakLoop
        case "continue":
            try expectBlockEnd()
            return .continueLoop
        case "generation":
            try expectBlockEnd()
            let (body, _) = try parseBody(until: ["endgeneration"])
            try expectBlockEnd()
            return .generation(body)
        default:
            throw TemplateError.syntax(message: "encountered unknown tag '\(tag)'", line: startLine)
        }
    }

    /// `(a, b=default, ...)` of a macro or call block.
    private mutating func parseSignature() throws -> [Parameter] {
        try expectOp("(")
        var params: [Parameter] = []
        while !isOp(")") {
            if !params.isEmpty { try expectOp(",") }
            if isOp(")") { break }
            let name = try expectName()
            var def: Expr? = nil
            if skipOp("=") { def = try parseExpression() }
            params.append(Parameter(name: name, defaultValue: def))
        }
        try expectOp(")")
        return params
    }

    private mutating func parseAssignTarget(allowNamespace: Bool) throws -> Target {
        func single(_ p: inout Parser) throws -> Target {
            if p.skipOp("(") {
                let t = try p.parseAssignTarget(allowNamespace: false)
                try p.expectOp(")")
                return t
            }
            let name = try p.expectName()
            if allowNamespace, p.skipOp(".") {
                return .attribute(name, try p.expectName())
            }
            return .name(name)
        }
        var targets = [try single(&self)]
        while skipOp(",") {
            if current.kind == .blockEnd || isName("in") || isOp("=") { break }
            targets.append(try single(&self))
        }
        return targets.count == 1 && !isOp(",") ? targets[0] : .tuple(targets)
    }

    // MARK: expressions

    mutating func parseExpression(withCondexpr: Bool = true) throws -> Expr {
        withCondexpr ? try parseConditional() : try parseOr()
    }

    /// Comma-separated expressions; more than one (or a trailing comma) makes a tuple.
    private mutating func parseTuple(withCondexpr: Bool, extraEnd: Set<String> = [], explicitParens: Bool = false) throws -> Expr {
        var items: [Expr] = []
        var sawComma = false
        while true {
            if !items.isEmpty {
                guard skipOp(",") else { break }
                sawComma = true
            }
            if isTupleEnd(extraEnd) { break }
            items.append(try parseExpression(withCondexpr: withCondexpr))
        }
        if !sawComma {
            if let only = items.first { return only }
            if !explicitParens { throw fail("expected an expression, got \(describe(current.kind))") }
        }
        return .tuple(items)
    }

    private func isTupleEnd(_ extra: Set<String>) -> Bool {
        switch current.kind {
        case .variableEnd, .blockEnd, .eof: return true
        case .op(let o): return o == ")" || o == "]" || o == "}"
        case .name(let n): return extra.contains(n)
        default: return false
        }
    }

    private mutating func parseConditional() throws -> Expr {
        var e = try parseOr()
        while skipName("if") {
            let cond = try parseOr()
            var otherwise: Expr? = nil
            if skipName("else") { otherwise = try parseConditional() }
            e = .conditional(test: cond, then: e, otherwise: otherwise)
        }
        return e
    }

    private mutating func parseOr() throws -> Expr {
        var e = try parseAnd()
        while skipName("or") { e = .or(e, try parseAnd()) }
        return e
    }

    private mutating func parseAnd() throws -> Expr {
        var e = try parseNot()
        while skipName("and") { e = .and(e, try parseNot()) }
        return e
    }

    private mutating func parseNot() throws -> Expr {
        if skipName("not") { return .not(try parseNot()) }
        return try parseCompare()
    }

    private mutating func parseCompare() throws -> Expr {
        let first = try parseMath1()
        var ops: [(CompareOp, Expr)] = []
        while true {
            if case .op(let o) = current.kind, let op = CompareOp(rawValue: o), op != .in, op != .notIn {
                _ = next()
                ops.append((op, try parseMath1()))
            } else if skipName("in") {
                ops.append((.in, try parseMath1()))
            } else if isName("not"), case .name("in") = peekKind() {
                _ = next(); _ = next()
                ops.append((.notIn, try parseMath1()))
            } else {
                break
            }
        }
        return ops.isEmpty ? first : .compare(first, ops)
    }

    private mutating func parseMath1() throws -> Expr {
        var e = try parseConcat()
        while case .op(let o) = current.kind, o == "+" || o == "-" {
            _ = next()
            e = .binary(o == "+" ? .add : .sub, e, try parseConcat())
        }
        return e
    }

    private mutating func parseConcat() throws -> Expr {
        var e = try parseMath2()
        while skipOp("~") { e = .binary(.concat, e, try parseMath2()) }
        return e
    }

    private mutating func parseMath2() throws -> Expr {
        var e = try parsePow()
        while case .op(let o) = current.kind, ["*", "/", "//", "%"].contains(o) {
            _ = next()
            e = .binary(BinaryOp(rawValue: o)!, e, try parsePow())
        }
        return e
    }

    private mutating func parsePow() throws -> Expr {
        var e = try parseUnary(withFilter: true)
        while skipOp("**") { e = .binary(.pow, e, try parseUnary(withFilter: true)) }
        return e
    }

    private mutating func parseUnary(withFilter: Bool) throws -> Expr {
        var e: Expr
        if skipOp("-") {
            e = .negate(try parseUnary(withFilter: false))
        } else if skipOp("+") {
            e = .plus(try parseUnary(withFilter: false))
        } else {
            e = try parsePrimary()
        }
        e = try parsePostfix(e)
        if withFilter { e = try parseFilterExpr(e) }
        return e
    }

    private mutating func parsePrimary() throws -> Expr {
        let tok = next()
        switch tok.kind {
        case .name(let n):
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(n)
            }
        case .string(var s):
            while case .string(let more) = current.kind { s += more; _ = next() }
            return .literal(.string(s))
        case .integer(let i): return .literal(.int(i))
        case .float(let d): return .literal(.double(d))
        case .op("("):
            let e = try parseTuple(withCondexpr: true, explicitParens: true)
            try expectOp(")")
            return e
        case .op("["):
            var items: [Expr] = []
            while !isOp("]") {
                if !items.isEmpty { try expectOp(",") }
                if isOp("]") { break }
                items.append(try parseExpression())
            }
            try expectOp("]")
            return .list(items)
        case .op("{"):
            var pairs: [(Expr, Expr)] = []
            while !isOp("}") {
                if !pairs.isEmpty { try expectOp(",") }
                if isOp("}") { break }
                let k = try parseExpression()
                try expectOp(":")
                pairs.append((k, try parseExpression()))
            }
            try expectOp("}")
            return .dict(pairs)
        default:
            pos -= 1
            throw fail("unexpected \(describe(tok.kind))")
        }
    }

    private mutating func parsePostfix(_ base: Expr) throws -> Expr {
        var e = base
        while true {
            if skipOp(".") {
                switch next().kind {
                case .name(let n): e = .attribute(e, n)
                case .integer(let i): e = .item(e, .literal(.int(i)))
                default: throw fail("expected attribute name")
                }
            } else if skipOp("[") {
                e = try parseSubscript(e)
            } else if isOp("(") {
                e = .call(e, try parseCallArguments())
            } else {
                return e
            }
        }
    }

    private mutating func parseSubscript(_ base: Expr) throws -> Expr {
        var parts: [Expr?] = []
        var isSlice = false
        var cur: Expr? = nil
        while !isOp("]") {
            if skipOp(":") {
                isSlice = true
                parts.append(cur)
                cur = nil
                continue
            }
            cur = try parseExpression()
        }
        try expectOp("]")
        if !isSlice {
            guard let index = cur else { throw fail("expected subscript expression") }
            return .item(base, index)
        }
        parts.append(cur)
        while parts.count < 3 { parts.append(nil) }
        guard parts.count == 3 else { throw fail("invalid slice") }
        return .slice(base, start: parts[0], stop: parts[1], step: parts[2])
    }

    private mutating func parseCallArguments() throws -> Arguments {
        try expectOp("(")
        var args = Arguments()
        var first = true
        while !isOp(")") {
            if !first { try expectOp(",") }
            first = false
            if isOp(")") { break }
            if case .name(let n) = current.kind, case .op("=") = peekKind() {
                _ = next(); _ = next()
                args.keyword.append((n, try parseExpression()))
            } else {
                if !args.keyword.isEmpty { throw fail("positional argument after keyword argument") }
                args.positional.append(try parseExpression())
            }
        }
        try expectOp(")")
        return args
    }

    private mutating func parseFilterCall() throws -> FilterCall {
        var name = try expectName()
        while skipOp(".") { name += "." + (try expectName()) }
        let args = isOp("(") ? try parseCallArguments() : Arguments()
        return FilterCall(name: name, arguments: args)
    }

    private mutating func parseFilterExpr(_ base: Expr) throws -> Expr {
        var e = base
        while true {
            if skipOp("|") {
                let f = try parseFilterCall()
                e = .filter(e, name: f.name, f.arguments)
            } else if skipName("is") {
                let negated = skipName("not")
                var name = try expectName()
                while skipOp(".") { name += "." + (try expectName()) }
                var args = Arguments()
                if isOp("(") {
                    args = try parseCallArguments()
                } else if startsTestArgument() {
                    var arg = try parsePrimary()
                    arg = try parsePostfix(arg)
                    args.positional = [arg]
                }
                e = .test(e, name: name, args, negated: negated)
            } else if isOp("(") {
                e = .call(e, try parseCallArguments())
            } else {
                return e
            }
        }
    }

    private func startsTestArgument() -> Bool {
        switch current.kind {
        case .name(let n): return !["else", "or", "and"].contains(n)
        case .string, .integer, .float: return true
        case .op(let o): return o == "[" || o == "{"
        default: return false
        }
    }
}
