/// Python `json.dumps` for runtime values, as used by transformers' `tojson` filter
/// (`ensure_ascii`, `indent`, `separators`, `sort_keys`).
struct JSONWriter {
    var ensureASCII = false
    /// `nil` means compact (single line); otherwise the indent unit (`" " * n` or a string).
    var indent: String? = nil
    var itemSeparator = ", "
    var keySeparator = ": "
    var sortKeys = false

    init(ensureASCII: Bool, indent: String?, separators: (String, String)?, sortKeys: Bool) {
        self.ensureASCII = ensureASCII
        self.indent = indent
        self.sortKeys = sortKeys
        if let separators {
            itemSeparator = separators.0
            keySeparator = separators.1
        } else if indent != nil {
            itemSeparator = ","
        }
    }

    func dumps(_ v: Value) throws -> String {
        var out = ""
        try write(v, level: 0, into: &out)
        return out
    }

    private func write(_ v: Value, level: Int, into out: inout String) throws {
        switch v {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += Self.floatJSON(d)
        case .string(let s), .markup(let s): out += quote(s)
        case .list(let items), .tuple(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            let (sep, open, close) = separators(level: level)
            out += open
            for (i, item) in items.enumerated() {
                if i > 0 { out += sep }
                try write(item, level: level + 1, into: &out)
            }
            out += close + "]"
        case .dict(let d):
            if d.isEmpty { out += "{}"; return }
            var pairs: [(String, Value)] = []
            for (k, val) in d.items { pairs.append((try keyString(k), val)) }
            if sortKeys { pairs.sort { $0.0.unicodeScalars.lexicographicallyPrecedes($1.0.unicodeScalars) } }
            out += "{"
            let (sep, open, close) = separators(level: level)
            out += open
            for (i, (k, val)) in pairs.enumerated() {
                if i > 0 { out += sep }
                out += quote(k) + keySeparator
                try write(val, level: level + 1, into: &out)
            }
            out += close + "}"
        default:
            throw TemplateError.type(message: "Object of type \(v.typeName) is not JSON serializable")
        }
    }

    private func separators(level: Int) -> (String, String, String) {
        guard let indent else { return (itemSeparator, "", "") }
        let inner = "\n" + String(repeating: indent, count: level + 1)
        let outer = "\n" + String(repeating: indent, count: level)
        return (itemSeparator + inner, inner, outer)
    }

    private func keyString(_ k: Value) throws -> String {
        switch k {
        case .string(let s), .markup(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .none: return "null"
        case .int(let i): return String(i)
        case .double(let d): return Self.floatJSON(d)
        default:
            throw TemplateError.type(message: "keys must be str, int, float, bool or None, not \(k.typeName)")
        }
    }

    static func floatJSON(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        return PythonFormatting.floatRepr(d)
    }

    private func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    out += "\\u" + PythonFormatting.hex(scalar.value, width: 4)
                } else if ensureASCII && scalar.value > 0x7E {
                    if scalar.value > 0xFFFF {
                        let v = scalar.value - 0x10000
                        out += "\\u" + PythonFormatting.hex(0xD800 + (v >> 10), width: 4)
                        out += "\\u" + PythonFormatting.hex(0xDC00 + (v & 0x3FF), width: 4)
                    } else {
                        out += "\\u" + PythonFormatting.hex(scalar.value, width: 4)
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
