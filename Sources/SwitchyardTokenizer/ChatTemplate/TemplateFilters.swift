import Foundation

/// Jinja2 builtin filters (Python semantics), plus transformers' `tojson` override.
enum Filters {
    static func apply(_ name: String, _ raw: Value, _ args: [Value], _ kwargs: [(String, Value)], _ interp: Interpreter) throws -> Value {
        let a = ArgumentReader(name, args, kwargs)
        switch name {
        case "safe":
            if case .markup = raw { return raw }
            return .markup(PythonFormatting.str(raw))
        case "e", "escape", "forceescape":
            if case .markup = raw, name != "forceescape" { return raw }
            return .markup(Operators.escapeHTML(PythonFormatting.str(raw)))
        case "string":
            if case .markup = raw { return raw }
            return .string(PythonFormatting.str(raw))
        default:
            break
        }
        let v = raw.normalized
        switch name {
        case "tojson":
            var indent: String? = nil
            switch a.get(1, "indent") {
            case .int(let n)?: indent = String(repeating: " ", count: max(0, n))
            case .string(let s)?: indent = s
            default: break
            }
            var separators: (String, String)? = nil
            if let sep = a.get(2, "separators"), case .tuple(let items) = sep, items.count == 2,
               case .string(let i) = items[0], case .string(let k) = items[1]
            {
                separators = (i, k)
            } else if let sep = a.get(2, "separators"), case .list(let items) = sep, items.count == 2,
                      case .string(let i) = items[0], case .string(let k) = items[1]
            {
                separators = (i, k)
            }
            let writer = JSONWriter(ensureASCII: a.bool(0, "ensure_ascii", default: false), indent: indent,
                                    separators: separators, sortKeys: a.bool(3, "sort_keys", default: false))
            return .string(try writer.dumps(v))
        case "length", "count":
            switch v {
            case .undefined: return .int(0)
            case .string(let s): return .int(StringOps.length(s))
            case .list(let l), .tuple(let l): return .int(l.count)
            case .dict(let d): return .int(d.count)
            case .namespace(let ns): return .int(ns.attributes.count)
            case .iterator(let items, let kind) where kind.hasLength: return .int(items.count)
            default: throw TemplateError.type(message: "object of type '\(v.typeName)' has no len()")
            }
        case "trim":
            return .string(StringOps.strip(PythonFormatting.str(v), chars: try a.string(0, "chars"), left: true, right: true))
        case "upper": return .string(StringOps.upper(PythonFormatting.str(v)))
        case "lower": return .string(StringOps.lower(PythonFormatting.str(v)))
        case "title": return .string(StringOps.jinjaTitle(PythonFormatting.str(v)))
        case "capitalize": return .string(StringOps.capitalize(PythonFormatting.str(v)))
        case "default", "d":
            let def = a.get(0, "default_value") ?? .string("")
            if v.isUndefined || (a.bool(1, "boolean", default: false) && !v.truthy) { return def }
            return v
        case "join":
            var items = try interp.iterate(v)
            if let attr = a.get(1, "attribute") { items = try items.map { try attributePath(attr, $0, interp) } }
            let sep = PythonFormatting.str(a.get(0, "d") ?? .string(""))
            return .string(items.map(PythonFormatting.str).joined(separator: sep))
        case "first":
            let items = try interp.iterate(v)
            return items.first ?? .undefined(hint: "No first item, sequence was empty.")
        case "last":
            let items = try interp.iterate(v)
            return items.last ?? .undefined(hint: "No last item, sequence was empty.")
        case "list":
            return .list(try interp.iterate(v))
        case "reverse":
            if case .string(let s) = v { return .string(StringOps.string(s.unicodeScalars.reversed())) }
            if case .dict = v { return .iterator(try interp.iterate(v).reversed(), .reverseIterator) }
            return .iterator(try interp.iterate(v).reversed(), .reverseIterator)
        case "items":
            switch v {
            case .undefined: return .iterator([], .generator)
            case .dict(let d): return .iterator(d.items.map { .tuple([$0.0, $0.1]) }, .generator)
            default: throw TemplateError.type(message: "Can only get item pairs from a mapping.")
            }
        case "dictsort":
            guard case .dict(let d) = v else {
                if case .undefined(let h) = v { throw TemplateError.undefined(message: h) }
                throw TemplateError.type(message: "dictsort filter requires a mapping")
            }
            let caseSensitive = a.bool(0, "case_sensitive", default: false)
            let byValue: Bool
            switch a.get(1, "by") {
            case .string("value")?: byValue = true
            case .string("key")?, nil: byValue = false
            default: throw TemplateError.runtime(message: "You can only sort by either \"key\" or \"value\"")
            }
            let reverse = a.bool(2, "reverse", default: false)
            let pairs = try stableSort(d.items, reverse: reverse) { x, y in
                try Operators.less(sortKey(byValue ? x.1 : x.0, caseSensitive), sortKey(byValue ? y.1 : y.0, caseSensitive))
            }
            return .list(pairs.map { .tuple([$0.0, $0.1]) })
        case "sort":
            let reverse = a.bool(0, "reverse", default: false)
            let caseSensitive = a.bool(1, "case_sensitive", default: false)
            let attr = a.get(2, "attribute")
            let items = try interp.iterate(v)
            let keyed = try items.map { item in (item, sortKey(try attr.map { try attributePath($0, item, interp) } ?? item, caseSensitive)) }
            return .list(try stableSort(keyed, reverse: reverse) { try Operators.less($0.1, $1.1) }.map { $0.0 })
        case "unique":
            let caseSensitive = a.bool(0, "case_sensitive", default: false)
            let attr = a.get(1, "attribute")
            var seen: [Value] = []
            var out: [Value] = []
            for item in try interp.iterate(v) {
                let key = sortKey(try attr.map { try attributePath($0, item, interp) } ?? item, caseSensitive)
                if !seen.contains(where: { Operators.equals($0, key) }) {
                    seen.append(key)
                    out.append(item)
                }
            }
            return .iterator(out, .generator)
        case "min", "max":
            let caseSensitive = a.bool(0, "case_sensitive", default: false)
            let attr = a.get(1, "attribute")
            let items = try interp.iterate(v)
            guard var best = items.first else { return .undefined(hint: "No \(name) item, sequence was empty.") }
            var bestKey = sortKey(try attr.map { try attributePath($0, best, interp) } ?? best, caseSensitive)
            for item in items.dropFirst() {
                let k = sortKey(try attr.map { try attributePath($0, item, interp) } ?? item, caseSensitive)
                if name == "min" ? try Operators.less(k, bestKey) : try Operators.less(bestKey, k) {
                    best = item
                    bestKey = k
                }
            }
            return best
        case "sum":
            let attr = a.get(0, "attribute")
            var total = a.get(1, "start") ?? .int(0)
            for item in try interp.iterate(v) {
                total = try Operators.binary(.add, total, try attr.map { try attributePath($0, item, interp) } ?? item)
            }
            return total
        case "replace":
            let s = PythonFormatting.str(v)
            return .string(StringOps.replace(s, PythonFormatting.str(a.get(0, "old") ?? .string("")),
                                             PythonFormatting.str(a.get(1, "new") ?? .string("")),
                                             count: try a.int(2, "count") ?? -1))
        case "indent":
            return .string(try indent(v, a))
        case "int":
            let def = a.get(0, "default") ?? .int(0)
            let base = try a.int(1, "base") ?? 10
            switch v {
            case .int: return v
            case .bool(let b): return .int(b ? 1 : 0)
            case .double(let d): return d.isFinite ? .int(Int(d)) : def
            case .string(let s):
                let t = StringOps.strip(s, chars: nil, left: true, right: true).replacingOccurrences(of: "_", with: "")
                if let i = Int(t, radix: base) { return .int(i) }
                if let d = Double(t), d.isFinite { return .int(Int(d)) }
                return def
            default: return def
            }
        case "float":
            let def = a.get(0, "default") ?? .double(0)
            switch v {
            case .int(let i): return .double(Double(i))
            case .bool(let b): return .double(b ? 1 : 0)
            case .double: return v
            case .string(let s):
                return Double(StringOps.strip(s, chars: nil, left: true, right: true)).map { .double($0) } ?? def
            default: return def
            }
        case "abs":
            switch v {
            case .int(let i): return .int(abs(i))
            case .bool(let b): return .int(b ? 1 : 0)
            case .double(let d): return .double(abs(d))
            default: throw TemplateError.type(message: "bad operand type for abs(): '\(v.typeName)'")
            }
        case "round":
            let precision = try a.int(0, "precision") ?? 0
            let method = try a.string(1, "method") ?? "common"
            let x: Double
            switch v {
            case .int(let i): x = Double(i)
            case .bool(let b): x = b ? 1 : 0
            case .double(let d): x = d
            default: throw TemplateError.type(message: "type \(v.typeName) doesn't define __round__ method")
            }
            let scale = pow10(precision)
            let rule: FloatingPointRoundingRule = method == "ceil" ? .up : method == "floor" ? .down : .toNearestOrEven
            return .double((x * scale).rounded(rule) / scale)
        case "wordcount":
            return .int(try StringOps.split(PythonFormatting.str(v), sep: nil, maxsplit: -1).count)
        case "center":
            let width = try a.int(0, "width") ?? 80
            return try Methods.call(.string(PythonFormatting.str(v)), "center", [.int(width)], [], interp)
        case "batch":
            let size = try a.int(0, "linecount") ?? 1
            guard size > 0 else { throw TemplateError.runtime(message: "batch size must be positive") }
            let fill = a.get(1, "fill_with")
            var out: [Value] = []
            var cur: [Value] = []
            for item in try interp.iterate(v) {
                cur.append(item)
                if cur.count == size { out.append(.list(cur)); cur = [] }
            }
            if !cur.isEmpty {
                if let fill { while cur.count < size { cur.append(fill) } }
                out.append(.list(cur))
            }
            return .iterator(out, .generator)
        case "attr":
            return try interp.getAttribute(v, PythonFormatting.str(a.get(0, "name") ?? .none))
        case "format":
            return .string(try Operators.printf(PythonFormatting.str(v), args.count == 1 ? args[0] : .tuple(args)))
        case "map":
            // Jinja2's map/select/reject are generators that skip falsy inputs (`if value:`).
            let items = v.truthy ? try interp.iterate(v) : []
            if args.isEmpty, let attr = kwargs.last(where: { $0.0 == "attribute" })?.1 {
                let def = kwargs.last(where: { $0.0 == "default" })?.1
                return .iterator(try items.map { item in
                    let r = try attributePath(attr, item, interp)
                    if r.isUndefined, let def { return def }
                    return r
                }, .generator)
            }
            guard case .string(let filterName)? = args.first else {
                throw TemplateError.runtime(message: "map requires a filter name or attribute=")
            }
            let rest = Array(args.dropFirst())
            return .iterator(try items.map { try apply(filterName, $0, rest, kwargs, interp) }, .generator)
        case "select", "reject":
            let keep = name == "select"
            return .iterator(try (v.truthy ? interp.iterate(v) : []).filter { item in
                if args.isEmpty { return item.truthy == keep }
                guard case .string(let test) = args[0] else { throw TemplateError.runtime(message: "\(name) requires a test name") }
                return try Tests.apply(test, item.normalized, Array(args.dropFirst()), kwargs, interp) == keep
            }, .generator)
        case "selectattr", "rejectattr":
            let keep = name == "selectattr"
            guard let attr = args.first else { throw TemplateError.runtime(message: "\(name) requires an attribute name") }
            return .iterator(try (v.truthy ? interp.iterate(v) : []).filter { item in
                let value = try attributePath(attr, item, interp)
                if args.count < 2 { return value.truthy == keep }
                guard case .string(let test) = args[1] else { throw TemplateError.runtime(message: "\(name) requires a test name") }
                return try Tests.apply(test, value.normalized, Array(args.dropFirst(2)), kwargs, interp) == keep
            }, .generator)
        default:
            throw TemplateError.runtime(message: "No filter named '\(name)'.")
        }
    }

    private static func pow10(_ n: Int) -> Double {
        var r = 1.0
        for _ in 0..<abs(n) { r *= 10 }
        return n < 0 ? 1 / r : r
    }

    /// Jinja2's `make_attrgetter`: `"a.b.0"` walks attributes/items, integers index.
    static func attributePath(_ attr: Value, _ item: Value, _ interp: Interpreter) throws -> Value {
        guard case .string(let path) = attr else {
            return try interp.getItem(item, attr)
        }
        var cur = item
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            if let i = Int(part) { cur = try interp.getItem(cur, .int(i)) } else { cur = try interp.getItem(cur, .string(String(part))) }
        }
        return cur
    }

    /// Lower-cases strings for case-insensitive sorting/unique (Jinja2's `ignore_case`).
    private static func sortKey(_ v: Value, _ caseSensitive: Bool) -> Value {
        if !caseSensitive, case .string(let s) = v { return .string(s.lowercased()) }
        return v
    }

    /// Stable sort (Python's `sorted` is stable; `reverse` keeps equal items in original order).
    private static func stableSort<T>(_ items: [T], reverse: Bool, by less: (T, T) throws -> Bool) throws -> [T] {
        var indexed = Array(items.enumerated())
        var error: Error? = nil
        indexed.sort { x, y in
            if error != nil { return false }
            do {
                if reverse {
                    if try less(y.element, x.element) { return true }
                    if try less(x.element, y.element) { return false }
                } else {
                    if try less(x.element, y.element) { return true }
                    if try less(y.element, x.element) { return false }
                }
                return x.offset < y.offset
            } catch let e {
                error = e
                return false
            }
        }
        if let error { throw error }
        return indexed.map { $0.element }
    }

    /// Jinja2 3.1 `indent(width=4, first=False, blank=False)`.
    private static func indent(_ v: Value, _ a: ArgumentReader) throws -> String {
        let unit: String
        switch a.get(0, "width") {
        case .string(let s)?: unit = s
        case .int(let n)?: unit = String(repeating: " ", count: max(0, n))
        case nil: unit = "    "
        case let other?: throw TemplateError.type(message: "indent width must be int or str, not \(other.typeName)")
        }
        let first = a.bool(1, "first", default: false)
        let blank = a.bool(2, "blank", default: false)
        guard case .string(var s) = v else {
            if case .undefined(let h) = v { throw TemplateError.undefined(message: h) }
            throw TemplateError.type(message: "unsupported operand type(s) for +=: '\(v.typeName)' and 'str'")
        }
        s += "\n"
        let lines = StringOps.splitlines(StringOps.scalars(s), keepends: false).map { StringOps.string($0) }
        var rv: String
        if blank {
            rv = lines.joined(separator: "\n" + unit)
        } else {
            rv = lines.first ?? ""
            let rest = lines.dropFirst()
            if !rest.isEmpty {
                rv += "\n" + rest.map { $0.isEmpty ? $0 : unit + $0 }.joined(separator: "\n")
            }
        }
        if first { rv = unit + rv }
        return rv
    }
}
