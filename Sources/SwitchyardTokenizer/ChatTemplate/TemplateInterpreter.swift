import Foundation

/// Executes a parsed template. One instance per render; not shared across threads.
final class Interpreter {
    /// Source of "now" for `strftime_now`.
    let now: Date
    let timeZone: TimeZone
    private var out = ""
    /// The scopes macros were defined in. A macro's closure reaches its defining scope unowned,
    /// and that scope usually holds the macro (`{% macro m %}` stores `m` in it): a strong capture
    /// would be a cycle, and every render of a template with macros would leak its scopes (and the
    /// request's messages in them). The interpreter keeps them alive for the render instead.
    private var macroScopes: [Scope] = []
    /// The namespaces and loops this render made: the mutable objects of a template, so the only
    /// ones it can make reach themselves (`{% set ns.me = ns %}`, `{% set ns.x = [ns] %}`,
    /// `loop.changed(loop)`, a loop over `[ns]` stored in `ns`). ARC never frees such a cycle, and
    /// every render would leak it with what it holds (the request's messages too). The interpreter
    /// empties them when it goes, after its one render, which breaks any cycle.
    private var namespaces: [Namespace] = []
    private var loops: [LoopState] = []

    init(now: Date, timeZone: TimeZone) {
        self.now = now
        self.timeZone = timeZone
    }

    deinit {
        for namespace in namespaces { namespace.attributes = PyDict() }
        for loop in loops { loop.lastChangedValue = nil }
    }

    /// A namespace made by `namespace(...)` during this render (see `namespaces`).
    func track(_ namespace: Namespace) { namespaces.append(namespace) }

    func render(_ nodes: [Node], scope: Scope) throws -> String {
        let saved = out
        out = ""
        defer { out = saved }
        _ = try exec(nodes, scope)
        return out
    }

    // MARK: statements

    private func exec(_ nodes: [Node], _ scope: Scope) throws -> Flow {
        for node in nodes {
            let flow = try exec(node, scope)
            if flow != .normal { return flow }
        }
        return .normal
    }

    private func exec(_ node: Node, _ scope: Scope) throws -> Flow {
        switch node {
        case .text(let s):
            out += s
        case .output(let e, _):
            out += PythonFormatting.str(try eval(e, scope))
        case .ifChain(let branches, let otherwise, _):
            for (cond, body) in branches where try eval(cond, scope).truthy {
                return try exec(body, scope)
            }
            return try exec(otherwise, scope)
        case .forLoop(let target, let iterable, let filter, let body, let otherwise, let recursive, _):
            if recursive { throw TemplateError.runtime(message: "recursive for loops are not supported") }
            try execFor(target: target, iterable: iterable, filter: filter, body: body, otherwise: otherwise, scope: scope)
        case .set(let target, let e, _):
            try assign(target, try eval(e, scope), scope)
        case .setBlock(let target, let filters, let body, _):
            var v = Value.string(try render(body, scope: Scope(parent: scope)))
            for f in filters { v = try applyFilter(f.name, v, f.arguments, scope) }
            try assign(target, v, scope)
        case .macro(let def):
            scope.set(def.name, .callable(makeMacro(def, scope: scope)))
        case .callBlock(let call, let callerDef, _):
            guard case .call(let callee, let args) = call else { break }
            let caller = makeMacro(callerDef, scope: scope)
            let fn = try eval(callee, scope)
            var (pos, kw) = try evalArguments(args, scope)
            kw.append(("caller", .callable(caller)))
            out += PythonFormatting.str(try invoke(fn, pos, kw))
        case .filterBlock(let filters, let body, _):
            var v = Value.string(try render(body, scope: scope))
            for f in filters { v = try applyFilter(f.name, v, f.arguments, scope) }
            out += PythonFormatting.str(v)
        case .breakLoop:
            return .breakLoop
        case .continueLoop:
            return .continueLoop
        case .generation(let body):
            return try exec(body, scope)
        }
        return .normal
    }

    private func execFor(target: Target, iterable: Expr, filter: Expr?, body: [Node], otherwise: [Node], scope: Scope) throws {
        var items = try iterate(try eval(iterable, scope))
        if let filter {
            items = try items.filter { item in
                let s = Scope(parent: scope)
                try assign(target, item, s)
                return try eval(filter, s).truthy
            }
        }
        if items.isEmpty {
            _ = try exec(otherwise, Scope(parent: scope))
            return
        }
        let depth0: Int
        if case .loop(let outer)? = scope.lookup("loop") { depth0 = outer.depth0 + 1 } else { depth0 = 0 }
        let loop = LoopState(items: items, depth0: depth0)
        loops.append(loop)
        for (i, item) in items.enumerated() {
            loop.index0 = i
            let s = Scope(parent: scope, vars: ["loop": .loop(loop)])
            try assign(target, item, s)
            if try exec(body, s) == .breakLoop { break }
        }
    }

    private func assign(_ target: Target, _ value: Value, _ scope: Scope) throws {
        switch target {
        case .name(let n):
            scope.set(n, value)
        case .attribute(let obj, let attr):
            guard case .namespace(let ns)? = scope.lookup(obj) else {
                throw TemplateError.type(message: "cannot assign attribute on non-namespace object")
            }
            ns.attributes[.string(attr)] = value
        case .tuple(let targets):
            let items = try iterate(value)
            guard items.count == targets.count else {
                throw TemplateError.type(message: items.count > targets.count
                    ? "too many values to unpack (expected \(targets.count))"
                    : "not enough values to unpack (expected \(targets.count), got \(items.count))")
            }
            for (t, v) in zip(targets, items) { try assign(t, v, scope) }
        }
    }

    private func makeMacro(_ def: MacroDefinition, scope defining: Scope) -> Callable {
        macroScopes.append(defining)
        return Callable(name: def.name, isMacro: true) { [unowned self, unowned defining] args, kwargs, _ in
            let s = Scope(parent: defining)
            var remaining = kwargs
            for (i, p) in def.parameters.enumerated() {
                if i < args.count {
                    s.set(p.name, args[i])
                } else if let k = remaining.firstIndex(where: { $0.0 == p.name }) {
                    s.set(p.name, remaining[k].1)
                    remaining.remove(at: k)
                } else if let d = p.defaultValue {
                    s.set(p.name, try self.eval(d, s))
                } else {
                    s.set(p.name, .undefined(hint: "parameter '\(p.name)' was not provided"))
                }
            }
            if let k = remaining.firstIndex(where: { $0.0 == "caller" }) {
                s.set("caller", remaining[k].1)
                remaining.remove(at: k)
            }
            s.set("varargs", .tuple(args.count > def.parameters.count ? Array(args[def.parameters.count...]) : []))
            var kw = PyDict()
            for (k, v) in remaining { kw[.string(k)] = v }
            s.set("kwargs", .dict(kw))
            return .string(try self.render(def.body, scope: s))
        }
    }

    // MARK: expressions

    func eval(_ e: Expr, _ scope: Scope) throws -> Value {
        switch e {
        case .literal(let l):
            return Value(l)
        case .name(let n):
            return scope.lookup(n) ?? .undefinedName(n)
        case .list(let items):
            return .list(try items.map { try eval($0, scope) })
        case .tuple(let items):
            return .tuple(try items.map { try eval($0, scope) })
        case .dict(let pairs):
            var d = PyDict()
            for (k, v) in pairs {
                let key = try eval(k, scope)
                guard DictKey(key) != nil else { throw TemplateError.type(message: "unhashable type: '\(key.typeName)'") }
                d[key] = try eval(v, scope)
            }
            return .dict(d)
        case .attribute(let base, let name):
            return try getAttribute(try eval(base, scope), name)
        case .item(let base, let index):
            return try getItem(try eval(base, scope), try eval(index, scope))
        case .slice(let base, let start, let stop, let step):
            let b = try eval(base, scope)
            return try Operators.slice(b, try start.map { try eval($0, scope) }, try stop.map { try eval($0, scope) },
                                       try step.map { try eval($0, scope) })
        case .call(let callee, let args):
            let (pos, kw) = try evalArguments(args, scope)
            if case .attribute(let recvExpr, let name) = callee {
                let recv = try eval(recvExpr, scope)
                if Methods.handles(recv.normalized, name) { return try Methods.call(recv.normalized, name, pos, kw, self) }
                return try invoke(try getAttribute(recv, name), pos, kw)
            }
            return try invoke(try eval(callee, scope), pos, kw)
        case .filter(let base, let name, let args):
            return try applyFilter(name, try eval(base, scope), args, scope)
        case .test(let base, let name, let args, let negated):
            let v = try eval(base, scope)
            let (pos, kw) = try evalArguments(args, scope)
            let r = try Tests.apply(name, v.normalized, pos.map(\.normalized), kw, self)
            return .bool(negated ? !r : r)
        case .not(let x):
            return .bool(!(try eval(x, scope).truthy))
        case .negate(let x):
            return try Operators.negate(try eval(x, scope))
        case .plus(let x):
            return try Operators.plus(try eval(x, scope))
        case .binary(let op, let l, let r):
            return try Operators.binary(op, try eval(l, scope), try eval(r, scope))
        case .and(let l, let r):
            let a = try eval(l, scope)
            return a.truthy ? try eval(r, scope) : a
        case .or(let l, let r):
            let a = try eval(l, scope)
            return a.truthy ? a : try eval(r, scope)
        case .compare(let first, let rest):
            var left = try eval(first, scope)
            for (op, rexpr) in rest {
                let right = try eval(rexpr, scope)
                if !(try Operators.compare(op, left, right)) { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .conditional(let test, let then, let otherwise):
            if try eval(test, scope).truthy { return try eval(then, scope) }
            if let otherwise { return try eval(otherwise, scope) }
            return .undefined(hint: "the inline if-expression evaluated to false and no else section was defined.")
        }
    }

    func evalArguments(_ args: Arguments, _ scope: Scope) throws -> ([Value], [(String, Value)]) {
        let pos = try args.positional.map { try eval($0, scope) }
        let kw = try args.keyword.map { ($0.0, try eval($0.1, scope)) }
        return (pos, kw)
    }

    private func applyFilter(_ name: String, _ v: Value, _ args: Arguments, _ scope: Scope) throws -> Value {
        let (pos, kw) = try evalArguments(args, scope)
        return try Filters.apply(name, v, pos.map(\.normalized), kw.map { ($0.0, $0.1.normalized) }, self)
    }

    func invoke(_ fn: Value, _ args: [Value], _ kwargs: [(String, Value)]) throws -> Value {
        switch fn {
        case .callable(let c): return try c.body(args, kwargs, self)
        case .undefined(let hint): throw TemplateError.undefined(message: hint)
        default: throw TemplateError.type(message: "'\(fn.typeName)' object is not callable")
        }
    }

    // MARK: attribute and item access (Jinja2 `getattr` / `getitem` semantics)

    /// `obj.name`: Python attribute first (methods), then item lookup, else Undefined.
    func getAttribute(_ object: Value, _ name: String) throws -> Value {
        let obj = object.normalized
        switch obj {
        case .undefined(let hint):
            throw TemplateError.undefined(message: hint)
        case .dict(let d):
            if Methods.handles(obj, name) { return Methods.bound(obj, name) }
            return d[string: name] ?? .missingAttribute(obj, name)
        case .namespace(let ns):
            return ns.attributes[string: name] ?? .missingAttribute(obj, name)
        case .loop(let l):
            return loopAttribute(l, name) ?? .missingAttribute(obj, name)
        default:
            if Methods.handles(obj, name) { return Methods.bound(obj, name) }
            return .missingAttribute(obj, name)
        }
    }

    /// `obj[key]`: item lookup first, then attribute for string keys, else Undefined.
    func getItem(_ object: Value, _ rawKey: Value) throws -> Value {
        let obj = object.normalized
        let key = rawKey.normalized
        switch obj {
        case .undefined(let hint):
            throw TemplateError.undefined(message: hint)
        case .dict(let d):
            if let v = d[key] { return v }
        case .list(let items), .tuple(let items):
            if let i = Operators.intIndex(key) {
                let j = i < 0 ? i + items.count : i
                if j >= 0 && j < items.count { return items[j] }
                return .undefined(hint: "\(obj.typeName) object has no element \(i)")
            }
        case .string(let s):
            if let i = Operators.intIndex(key) {
                let a = StringOps.scalars(s)
                let j = i < 0 ? i + a.count : i
                if j >= 0 && j < a.count { return .string(String(a[j])) }
                return .undefined(hint: "str object has no element \(i)")
            }
        case .namespace(let ns):
            if let v = ns.attributes[key] { return v }
        default:
            break
        }
        if case .string(let name) = key {
            if case .dict = obj {
                if Methods.handles(obj, name) { return Methods.bound(obj, name) }
                return .missingAttribute(obj, name)
            }
            return try getAttribute(obj, name)
        }
        return .undefined(hint: "'\(obj.typeName) object' has no attribute '\(PythonFormatting.repr(key))'")
    }

    private func loopAttribute(_ l: LoopState, _ name: String) -> Value? {
        let n = l.items.count
        let i = l.index0
        switch name {
        case "index": return .int(i + 1)
        case "index0": return .int(i)
        case "revindex": return .int(n - i)
        case "revindex0": return .int(n - i - 1)
        case "first": return .bool(i == 0)
        case "last": return .bool(i == n - 1)
        case "length": return .int(n)
        case "depth": return .int(l.depth0 + 1)
        case "depth0": return .int(l.depth0)
        case "previtem": return i > 0 ? l.items[i - 1] : .undefined(hint: "there is no previous item")
        case "nextitem": return i + 1 < n ? l.items[i + 1] : .undefined(hint: "there is no next item")
        case "cycle":
            return .callable(Callable(name: "cycle") { args, _, _ in
                guard !args.isEmpty else { throw TemplateError.type(message: "no items for cycling given") }
                return args[i % args.count]
            })
        case "changed":
            return .callable(Callable(name: "changed") { args, _, _ in
                if let last = l.lastChangedValue, Operators.equalLists(last, args) { return .bool(false) }
                l.lastChangedValue = args
                return .bool(true)
            })
        default: return nil
        }
    }

    /// Python iteration: lists/tuples, dict keys, string characters; Undefined is empty.
    func iterate(_ v: Value) throws -> [Value] {
        switch v.normalized {
        case .iterator(let items, _): return items
        case .undefined: return []
        case .list(let items), .tuple(let items): return items
        case .dict(let d): return d.keys
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .namespace: throw TemplateError.type(message: "'Namespace' object is not iterable")
        default: throw TemplateError.type(message: "'\(v.typeName)' object is not iterable")
        }
    }
}
