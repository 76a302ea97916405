import Foundation

/// Python semantics for operators: arithmetic, comparison, membership, slicing.
enum Operators {
    /// An integer index (bools count, as in Python).
    static func intIndex(_ v: Value) -> Int? {
        switch v {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    private static func number(_ v: Value) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .bool(let b): return b ? 1 : 0
        case .double(let d): return d
        default: return nil
        }
    }

    private static func checkDefined(_ vs: Value...) throws {
        for v in vs { if case .undefined(let hint) = v { throw TemplateError.undefined(message: hint) } }
    }

    private static func unsupported(_ op: String, _ a: Value, _ b: Value) -> TemplateError {
        .type(message: "unsupported operand type(s) for \(op): '\(a.typeName)' and '\(b.typeName)'")
    }

    static func negate(_ raw: Value) throws -> Value {
        let v = raw.normalized
        try checkDefined(v)
        switch v {
        case .int(let i): return .int(-i)
        case .bool(let b): return .int(b ? -1 : 0)
        case .double(let d): return .double(-d)
        default: throw TemplateError.type(message: "bad operand type for unary -: '\(v.typeName)'")
        }
    }

    static func plus(_ v: Value) throws -> Value {
        try checkDefined(v)
        switch v {
        case .int, .double: return v
        case .bool(let b): return .int(b ? 1 : 0)
        default: throw TemplateError.type(message: "bad operand type for unary +: '\(v.typeName)'")
        }
    }

    static func binary(_ op: BinaryOp, _ rawA: Value, _ rawB: Value) throws -> Value {
        if op == .concat { return .string(PythonFormatting.str(rawA) + PythonFormatting.str(rawB)) }
        try checkDefined(rawA, rawB)
        if op == .add, let m = try markupAdd(rawA, rawB) { return m }
        let a = rawA.normalized, b = rawB.normalized
        let ia = intIndex(a), ib = intIndex(b)
        switch op {
        case .add:
            if let x = ia, let y = ib { return try intResult(x.addingReportingOverflow(y)) }
            if let x = number(a), let y = number(b) { return .double(x + y) }
            switch (a, b) {
            case (.string(let x), .string(let y)): return .string(x + y)
            case (.list(let x), .list(let y)): return .list(x + y)
            case (.tuple(let x), .tuple(let y)): return .tuple(x + y)
            case (.string, _): throw TemplateError.type(message: "can only concatenate str (not \"\(b.typeName)\") to str")
            case (.list, _): throw TemplateError.type(message: "can only concatenate list (not \"\(b.typeName)\") to list")
            default: throw unsupported("+", a, b)
            }
        case .sub:
            if let x = ia, let y = ib { return try intResult(x.subtractingReportingOverflow(y)) }
            if let x = number(a), let y = number(b) { return .double(x - y) }
            throw unsupported("-", a, b)
        case .mul:
            if let x = ia, let y = ib { return try intResult(x.multipliedReportingOverflow(by: y)) }
            if let x = number(a), let y = number(b) { return .double(x * y) }
            switch (a, b) {
            case (.string(let s), _) where ib != nil: return .string(String(repeating: s, count: max(0, ib!)))
            case (_, .string(let s)) where ia != nil: return .string(String(repeating: s, count: max(0, ia!)))
            case (.list(let l), _) where ib != nil: return .list(repeatList(l, ib!))
            case (_, .list(let l)) where ia != nil: return .list(repeatList(l, ia!))
            case (.tuple(let l), _) where ib != nil: return .tuple(repeatList(l, ib!))
            default: throw unsupported("*", a, b)
            }
        case .div:
            guard let x = number(a), let y = number(b) else { throw unsupported("/", a, b) }
            if y == 0 { throw TemplateError.runtime(message: "division by zero") }
            return .double(x / y)
        case .floorDiv:
            if let x = ia, let y = ib {
                if y == 0 { throw TemplateError.runtime(message: "integer division or modulo by zero") }
                var q = x / y
                if (x % y != 0) && ((x < 0) != (y < 0)) { q -= 1 }
                return .int(q)
            }
            guard let x = number(a), let y = number(b) else { throw unsupported("//", a, b) }
            if y == 0 { throw TemplateError.runtime(message: "float floor division by zero") }
            return .double((x / y).rounded(.down))
        case .mod:
            if case .string(let fmt) = a { return .string(try printf(fmt, b)) }
            if let x = ia, let y = ib {
                if y == 0 { throw TemplateError.runtime(message: "integer division or modulo by zero") }
                var r = x % y
                if r != 0 && ((r < 0) != (y < 0)) { r += y }
                return .int(r)
            }
            guard let x = number(a), let y = number(b) else { throw unsupported("%", a, b) }
            if y == 0 { throw TemplateError.runtime(message: "float modulo") }
            var r = fmod(x, y)
            if r != 0 && ((r < 0) != (y < 0)) { r += y }
            return .double(r)
        case .pow:
            if let x = ia, let y = ib, y >= 0 {
                var result = 1
                for _ in 0..<y {
                    let (r, o) = result.multipliedReportingOverflow(by: x)
                    if o { throw TemplateError.runtime(message: "integer overflow") }
                    result = r
                }
                return .int(result)
            }
            guard let x = number(a), let y = number(b) else { throw unsupported("** or pow()", a, b) }
            return .double(Foundation.pow(x, y))
        case .concat:
            fatalError("handled above")
        }
    }

    /// markupsafe: `Markup + str` and `str + Markup` HTML-escape the plain operand.
    private static func markupAdd(_ a: Value, _ b: Value) throws -> Value? {
        switch (a, b) {
        case (.markup(let x), .markup(let y)): return .markup(x + y)
        case (.markup(let x), .string(let y)): return .markup(x + escapeHTML(y))
        case (.string(let x), .markup(let y)): return .markup(escapeHTML(x) + y)
        case (.markup, _), (_, .markup): throw unsupported("+", a, b)
        default: return nil
        }
    }

    /// markupsafe's `escape`.
    static func escapeHTML(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    private static func repeatList(_ l: [Value], _ n: Int) -> [Value] {
        n <= 0 ? [] : Array([[Value]](repeating: l, count: n).joined())
    }

    private static func intResult(_ r: (partialValue: Int, overflow: Bool)) throws -> Value {
        if r.overflow { throw TemplateError.runtime(message: "integer overflow") }
        return .int(r.partialValue)
    }

    // MARK: comparison

    static func compare(_ op: CompareOp, _ rawA: Value, _ rawB: Value) throws -> Bool {
        let a = rawA.normalized, b = rawB.normalized
        switch op {
        case .eq: return equals(a, b)
        case .ne: return !equals(a, b)
        case .in: return try contains(b, a)
        case .notIn: return !(try contains(b, a))
        case .lt: return try less(a, b, "<")
        case .gt: return try less(b, a, ">")
        case .le: return try !less(b, a, "<=")
        case .ge: return try !less(a, b, ">=")
        }
    }

    /// Python `==`.
    static func equals(_ rawA: Value, _ rawB: Value) -> Bool {
        let a = rawA.normalized, b = rawB.normalized
        if let x = number(a), let y = number(b) {
            if let i = intIndex(a), let j = intIndex(b) { return i == j }
            return x == y
        }
        switch (a, b) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let x), .string(let y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars)
        case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)): return equalLists(x, y)
        case (.dict(let x), .dict(let y)):
            guard x.count == y.count else { return false }
            for (k, v) in x.items {
                guard let w = y[k], equals(v, w) else { return false }
            }
            return true
        case (.namespace(let x), .namespace(let y)): return x === y
        case (.callable(let x), .callable(let y)): return x === y
        default: return false
        }
    }

    static func equalLists(_ x: [Value], _ y: [Value]) -> Bool {
        x.count == y.count && zip(x, y).allSatisfy { equals($0, $1) }
    }

    /// Python `<`; throws for unorderable types.
    static func less(_ a: Value, _ b: Value, _ op: String = "<") throws -> Bool {
        if let i = intIndex(a), let j = intIndex(b) { return i < j }
        if let x = number(a), let y = number(b) { return x < y }
        switch (a, b) {
        case (.string(let x), .string(let y)):
            return x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars)
        case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)):
            for (p, q) in zip(x, y) where !equals(p, q) { return try less(p, q) }
            return x.count < y.count
        default:
            if case .undefined(let h) = a { throw TemplateError.undefined(message: h) }
            if case .undefined(let h) = b { throw TemplateError.undefined(message: h) }
            throw TemplateError.type(message: "'\(op)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
        }
    }

    /// Python `item in container`.
    static func contains(_ rawContainer: Value, _ rawItem: Value) throws -> Bool {
        let container = rawContainer.normalized, item = rawItem.normalized
        switch container {
        case .iterator(let l, _): return l.contains { equals($0, item) }
        case .string(let s):
            guard case .string(let sub) = item else {
                if case .undefined(let h) = item { throw TemplateError.undefined(message: h) }
                throw TemplateError.type(message: "'in <string>' requires string as left operand, not \(item.typeName)")
            }
            return StringOps.contains(s, sub)
        case .list(let l), .tuple(let l): return l.contains { equals($0, item) }
        case .dict(let d): return d[item] != nil
        case .namespace(let ns): return ns.attributes[item] != nil
        case .undefined: return false
        default: throw TemplateError.type(message: "argument of type '\(container.typeName)' is not iterable")
        }
    }

    // MARK: slicing

    static func slice(_ raw: Value, _ start: Value?, _ stop: Value?, _ step: Value?) throws -> Value {
        func opt(_ x: Value?) throws -> Int? {
            guard let x else { return nil }
            if case .none = x { return nil }
            guard let i = intIndex(x) else {
                throw TemplateError.type(message: "slice indices must be integers or None")
            }
            return i
        }
        let st = try opt(step) ?? 1
        if st == 0 { throw TemplateError.runtime(message: "slice step cannot be zero") }
        func indices(_ n: Int) throws -> [Int] {
            var lo = try opt(start)
            var hi = try opt(stop)
            if st > 0 {
                lo = lo.map { $0 < 0 ? max(0, $0 + n) : min($0, n) } ?? 0
                hi = hi.map { $0 < 0 ? max(0, $0 + n) : min($0, n) } ?? n
                return lo! < hi! ? Array(stride(from: lo!, to: hi!, by: st)) : []
            } else {
                lo = lo.map { $0 < 0 ? max(-1, $0 + n) : min($0, n - 1) } ?? (n - 1)
                hi = hi.map { $0 < 0 ? max(-1, $0 + n) : min($0, n - 1) } ?? -1
                return lo! > hi! ? Array(stride(from: lo!, to: hi!, by: st)) : []
            }
        }
        let v = raw.normalized
        switch v {
        case .list(let l): return .list(try indices(l.count).map { l[$0] })
        case .tuple(let l): return .tuple(try indices(l.count).map { l[$0] })
        case .string(let s):
            let a = StringOps.scalars(s)
            return .string(StringOps.string(try indices(a.count).map { a[$0] }))
        case .undefined(let h): throw TemplateError.undefined(message: h)
        default: throw TemplateError.type(message: "'\(v.typeName)' object is not subscriptable")
        }
    }

    // MARK: printf-style formatting (`"%s" % x`)

    static func printf(_ fmt: String, _ arg: Value) throws -> String {
        var args: [Value]
        if case .tuple(let t) = arg { args = t } else { args = [arg] }
        var out = ""
        let a = StringOps.scalars(fmt)
        var i = 0
        while i < a.count {
            let c = a[i]
            if c != "%" { out.unicodeScalars.append(c); i += 1; continue }
            i += 1
            guard i < a.count else { throw TemplateError.runtime(message: "incomplete format") }
            var spec = ""
            while i < a.count, "0123456789.-+ #".unicodeScalars.contains(a[i]) { spec.unicodeScalars.append(a[i]); i += 1 }
            guard i < a.count else { throw TemplateError.runtime(message: "incomplete format") }
            let conv = a[i]
            i += 1
            if conv == "%" { out += "%"; continue }
            guard !args.isEmpty else { throw TemplateError.type(message: "not enough arguments for format string") }
            let v = args.removeFirst()
            var piece: String
            switch conv {
            case "s": piece = PythonFormatting.str(v)
            case "r": piece = PythonFormatting.repr(v)
            case "d", "i":
                guard let x = number(v) else { throw TemplateError.type(message: "%d format: a real number is required, not \(v.typeName)") }
                piece = String(Int(x))
            case "f", "F", "e", "g":
                guard let x = number(v) else { throw TemplateError.type(message: "must be real number, not \(v.typeName)") }
                let precision = spec.split(separator: ".").count > 1 ? Int(spec.split(separator: ".")[1]) ?? 6 : 6
                piece = String(format: "%.\(precision)\(Character(conv))", x)
            default:
                throw TemplateError.runtime(message: "unsupported format character '\(Character(conv))'")
            }
            let widthText = spec.split(separator: ".").first.map(String.init) ?? ""
            if let w = Int(widthText.filter { $0.isNumber }), w > StringOps.length(piece) {
                let pad = String(repeating: " ", count: w - StringOps.length(piece))
                piece = widthText.hasPrefix("-") ? piece + pad : pad + piece
            }
            out += piece
        }
        if !args.isEmpty, case .tuple = arg {
            throw TemplateError.type(message: "not all arguments converted during string formatting")
        }
        return out
    }
}
