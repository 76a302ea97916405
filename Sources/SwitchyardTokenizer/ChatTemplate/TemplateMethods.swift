/// Python methods on str, dict and list that templates call (`s.strip()`, `d.items()`...).
/// Mutating list/dict methods exist but raise, as in Jinja2's `ImmutableSandboxedEnvironment`.
enum Methods {
    private static let stringMethods: Set<String> = [
        "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith", "endswith", "upper", "lower",
        "title", "capitalize", "replace", "format", "join", "find", "rfind", "index", "count", "isdigit",
        "isalpha", "isalnum", "isspace", "isupper", "islower", "isnumeric", "isdecimal", "zfill", "swapcase",
        "center", "ljust", "rjust", "removeprefix", "removesuffix", "casefold",
    ]
    private static let dictMethods: Set<String> = ["get", "items", "keys", "values", "copy"]
    private static let unsafeDictMethods: Set<String> = ["pop", "popitem", "update", "setdefault", "clear"]
    private static let listMethods: Set<String> = ["index", "count", "copy"]
    private static let unsafeListMethods: Set<String> = ["append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear"]

    /// Whether Python exposes `name` as a method on `recv`.
    static func handles(_ recv: Value, _ name: String) -> Bool {
        switch recv {
        case .string: return stringMethods.contains(name)
        case .dict: return dictMethods.contains(name) || unsafeDictMethods.contains(name)
        case .list: return listMethods.contains(name) || unsafeListMethods.contains(name)
        case .tuple: return name == "index" || name == "count"
        default: return false
        }
    }

    /// The bound method object (`s.strip` without calling it).
    static func bound(_ recv: Value, _ name: String) -> Value {
        .callable(Callable(name: "\(name) of \(recv.typeName) object") { args, kwargs, interp in
            try call(recv, name, args, kwargs, interp)
        })
    }

    static func call(_ recv: Value, _ name: String, _ args: [Value], _ kwargs: [(String, Value)], _ interp: Interpreter) throws -> Value {
        let a = ArgumentReader(name, args.map(\.normalized), kwargs.map { ($0.0, $0.1.normalized) })
        switch recv {
        case .string(let s): return try stringMethod(s, name, a)
        case .dict(let d):
            if unsafeDictMethods.contains(name) {
                throw TemplateError.security(message: "access to attribute '\(name)' of 'dict' object is unsafe.")
            }
            switch name {
            case "get": return d[a.get(0, "key") ?? .none] ?? (a.get(1, "default") ?? .none)
            case "items": return .iterator(d.items.map { .tuple([$0.0, $0.1]) }, .dictItems)
            case "keys": return .iterator(d.keys, .dictKeys)
            case "values": return .iterator(d.values, .dictValues)
            default: return recv
            }
        case .list(let l), .tuple(let l):
            if unsafeListMethods.contains(name) {
                throw TemplateError.security(message: "access to attribute '\(name)' of '\(recv.typeName)' object is unsafe.")
            }
            switch name {
            case "count": return .int(l.filter { Operators.equals($0, a.get(0, "value") ?? .none) }.count)
            case "index":
                let target = a.get(0, "value") ?? .none
                guard let i = l.firstIndex(where: { Operators.equals($0, target) }) else {
                    throw TemplateError.runtime(message: "\(PythonFormatting.repr(target)) is not in list")
                }
                return .int(i)
            default: return recv
            }
        default:
            throw TemplateError.type(message: "'\(recv.typeName)' object has no attribute '\(name)'")
        }
    }

    private static func stringMethod(_ s: String, _ name: String, _ a: ArgumentReader) throws -> Value {
        switch name {
        case "strip": return .string(StringOps.strip(s, chars: try a.string(0, "chars"), left: true, right: true))
        case "lstrip": return .string(StringOps.strip(s, chars: try a.string(0, "chars"), left: true, right: false))
        case "rstrip": return .string(StringOps.strip(s, chars: try a.string(0, "chars"), left: false, right: true))
        case "split":
            return .list(try StringOps.split(s, sep: try a.string(0, "sep"), maxsplit: try a.int(1, "maxsplit") ?? -1).map { .string($0) })
        case "rsplit":
            return .list(try StringOps.rsplit(s, sep: try a.string(0, "sep"), maxsplit: try a.int(1, "maxsplit") ?? -1).map { .string($0) })
        case "splitlines":
            return .list(StringOps.splitlines(StringOps.scalars(s), keepends: a.bool(0, "keepends", default: false))
                .map { .string(StringOps.string($0)) })
        case "startswith", "endswith":
            let arg = a.get(0, "prefix") ?? .none
            var candidates: [String] = []
            switch arg {
            case .string(let p): candidates = [p]
            case .tuple(let items), .list(let items):
                for item in items {
                    guard case .string(let p) = item else { throw TemplateError.type(message: "\(name) first arg must be str or a tuple of str") }
                    candidates.append(p)
                }
            default: throw TemplateError.type(message: "\(name) first arg must be str or a tuple of str, not \(arg.typeName)")
            }
            let check = name == "startswith" ? StringOps.hasPrefix : StringOps.hasSuffix
            return .bool(candidates.contains { check(s, $0) })
        case "upper": return .string(StringOps.upper(s))
        case "lower", "casefold": return .string(StringOps.lower(s))
        case "title": return .string(StringOps.pythonTitle(s))
        case "capitalize": return .string(StringOps.capitalize(s))
        case "swapcase":
            return .string(s.unicodeScalars.map { c in
                let t = String(c)
                return t == t.uppercased() ? t.lowercased() : t.uppercased()
            }.joined())
        case "replace":
            return .string(StringOps.replace(s, try a.requireString(0, "old"), try a.requireString(1, "new"), count: try a.int(2, "count") ?? -1))
        case "format": return .string(try format(s, a))
        case "join":
            let items = try iterableOfStrings(a.get(0, "iterable") ?? .none)
            return .string(items.joined(separator: s))
        case "find", "index", "rfind":
            let sub = StringOps.scalars(try a.requireString(0, "sub"))
            let hay = StringOps.scalars(s)
            let r = name == "rfind" ? StringOps.rfind(hay, sub) : StringOps.find(hay, sub)
            if r == nil && name == "index" { throw TemplateError.runtime(message: "substring not found") }
            return .int(r ?? -1)
        case "count":
            let sub = StringOps.scalars(try a.requireString(0, "sub"))
            let hay = StringOps.scalars(s)
            if sub.isEmpty { return .int(hay.count + 1) }
            var n = 0
            var from = 0
            while let i = StringOps.find(hay, sub, from: from) { n += 1; from = i + sub.count }
            return .int(n)
        case "isdigit", "isnumeric", "isdecimal":
            return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.numericType != nil })
        case "isalpha": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic })
        case "isalnum":
            return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil })
        case "isspace": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(StringOps.isSpace))
        case "isupper": return .bool(s.contains { $0.isLetter } && s == s.uppercased())
        case "islower": return .bool(s.contains { $0.isLetter } && s == s.lowercased())
        case "removeprefix":
            let p = try a.requireString(0, "prefix")
            return .string(StringOps.hasPrefix(s, p) ? StringOps.string(s.unicodeScalars.dropFirst(p.unicodeScalars.count)) : s)
        case "removesuffix":
            let p = try a.requireString(0, "suffix")
            return .string(StringOps.hasSuffix(s, p) && !p.isEmpty ? StringOps.string(s.unicodeScalars.dropLast(p.unicodeScalars.count)) : s)
        case "zfill", "center", "ljust", "rjust":
            let width = try a.int(0, "width") ?? 0
            let fill = name == "zfill" ? "0" : (try a.string(1, "fillchar") ?? " ")
            let n = StringOps.length(s)
            guard width > n else { return .string(s) }
            let total = width - n
            switch name {
            case "ljust": return .string(s + String(repeating: fill, count: total))
            case "rjust": return .string(String(repeating: fill, count: total) + s)
            case "zfill":
                if let f = s.unicodeScalars.first, f == "-" || f == "+" {
                    return .string(String(f) + String(repeating: "0", count: total) + StringOps.string(s.unicodeScalars.dropFirst()))
                }
                return .string(String(repeating: "0", count: total) + s)
            default:
                let left = total / 2 + (total & width & 1)
                return .string(String(repeating: fill, count: left) + s + String(repeating: fill, count: total - left))
            }
        default:
            throw TemplateError.type(message: "'str' object has no attribute '\(name)'")
        }
    }

    private static func iterableOfStrings(_ v: Value) throws -> [String] {
        let items: [Value]
        switch v {
        case .list(let l), .tuple(let l), .iterator(let l, _): items = l
        case .dict(let d): items = d.keys
        case .string(let s): return s.unicodeScalars.map { String($0) }
        default: throw TemplateError.type(message: "can only join an iterable")
        }
        return try items.enumerated().map { i, item in
            guard case .string(let s) = item.normalized else {
                throw TemplateError.type(message: "sequence item \(i): expected str instance, \(item.typeName) found")
            }
            return s
        }
    }

    /// `str.format` with `{}`, `{0}`, `{name}`, `{{`/`}}`, and `!r`/`!s` conversions (no format specs).
    private static func format(_ fmt: String, _ a: ArgumentReader) throws -> String {
        var out = ""
        var autoIndex = 0
        let chars = StringOps.scalars(fmt)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "{" {
                if i + 1 < chars.count, chars[i + 1] == "{" { out += "{"; i += 2; continue }
                guard let close = chars[(i + 1)...].firstIndex(of: "}") else {
                    throw TemplateError.runtime(message: "Single '{' encountered in format string")
                }
                var field = StringOps.string(chars[(i + 1)..<close])
                var conversion = "s"
                if let bang = field.firstIndex(of: "!") {
                    conversion = String(field[field.index(after: bang)...])
                    field = String(field[..<bang])
                }
                if field.contains(":") {
                    throw TemplateError.runtime(message: "format specifications are not supported in str.format")
                }
                let value: Value
                if field.isEmpty {
                    guard autoIndex < a.positional.count else {
                        throw TemplateError.runtime(message: "Replacement index \(autoIndex) out of range for positional args tuple")
                    }
                    value = a.positional[autoIndex]
                    autoIndex += 1
                } else if let n = Int(field) {
                    guard n < a.positional.count else {
                        throw TemplateError.runtime(message: "Replacement index \(n) out of range for positional args tuple")
                    }
                    value = a.positional[n]
                } else {
                    guard let v = a.keyword.last(where: { $0.0 == field })?.1 else {
                        throw TemplateError.runtime(message: "'\(field)'")
                    }
                    value = v
                }
                out += conversion == "r" ? PythonFormatting.repr(value) : PythonFormatting.str(value)
                i = close + 1
            } else if c == "}" {
                if i + 1 < chars.count, chars[i + 1] == "}" { out += "}"; i += 2; continue }
                throw TemplateError.runtime(message: "Single '}' encountered in format string")
            } else {
                out.unicodeScalars.append(c)
                i += 1
            }
        }
        return out
    }
}
