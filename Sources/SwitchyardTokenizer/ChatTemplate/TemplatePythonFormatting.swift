/// Python's `str()`, `repr()` and `float.__repr__` for runtime values, so that printed
/// values (`{{ [1, 'a', None] }}`) match CPython byte for byte.
enum PythonFormatting {
    /// `str(value)` as Jinja2 prints it: Undefined prints as the empty string.
    static func str(_ v: Value) -> String {
        switch v {
        case .undefined: return ""
        case .string(let s), .markup(let s): return s
        default: return repr(v)
        }
    }

    /// `repr(value)`.
    static func repr(_ v: Value) -> String {
        switch v {
        case .undefined: return ""
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d): return floatRepr(d)
        case .string(let s): return stringRepr(s)
        case .markup(let s): return "Markup(" + stringRepr(s) + ")"
        case .iterator(let items, let kind):
            switch kind {
            case .dictItems, .dictKeys, .dictValues: return kind.rawValue + "(" + repr(.list(items)) + ")"
            default: return "<\(kind.rawValue) object>"
            }
        case .list(let items): return "[" + items.map(repr).joined(separator: ", ") + "]"
        case .tuple(let items):
            if items.count == 1 { return "(" + repr(items[0]) + ",)" }
            return "(" + items.map(repr).joined(separator: ", ") + ")"
        case .dict(let d):
            return "{" + d.items.map { repr($0.0) + ": " + repr($0.1) }.joined(separator: ", ") + "}"
        case .namespace(let ns): return "<Namespace " + repr(.dict(ns.attributes)) + ">"
        case .callable(let c): return c.isMacro ? "<Macro '\(c.name)'>" : "<built-in method \(c.name)>"
        case .loop: return "<LoopContext>"
        }
    }

    /// CPython's shortest round-tripping float repr (`1e+16`, `1e-05`, `0.1`, `3.0`).
    static func floatRepr(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        let (negative, digits, exponent) = shortestDigits(d)
        // value = 0.DIGITS * 10^exponent ; decimal exponent of first digit is exponent - 1
        let e10 = exponent - 1
        var out = negative ? "-" : ""
        if e10 < -4 || e10 >= 16 {
            out += String(digits.first!)
            if digits.count > 1 { out += "." + String(digits.dropFirst()) }
            out += "e" + (e10 < 0 ? "-" : "+")
            let ae = abs(e10)
            out += ae < 10 ? "0\(ae)" : "\(ae)"
        } else if exponent <= 0 {
            out += "0." + String(repeating: "0", count: -exponent) + String(digits)
        } else if exponent >= digits.count {
            out += String(digits) + String(repeating: "0", count: exponent - digits.count) + ".0"
        } else {
            let idx = digits.index(digits.startIndex, offsetBy: exponent)
            out += String(digits[..<idx]) + "." + String(digits[idx...])
        }
        return out
    }

    /// Decomposes Swift's shortest representation into sign, significant digits and exponent.
    private static func shortestDigits(_ d: Double) -> (Bool, [Character], Int) {
        var text = "\(abs(d))"  // Swift also prints the shortest round-tripping digits
        var exp = 0
        if let eIdx = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exp = Int(text[text.index(after: eIdx)...]) ?? 0
            text = String(text[..<eIdx])
        }
        var intPart = text
        var fracPart = ""
        if let dot = text.firstIndex(of: ".") {
            intPart = String(text[..<dot])
            fracPart = String(text[text.index(after: dot)...])
        }
        var digits = Array(intPart + fracPart)
        var pointPos = intPart.count + exp
        while let f = digits.first, f == "0", digits.count > 1 { digits.removeFirst(); pointPos -= 1 }
        while let l = digits.last, l == "0", digits.count > 1 { digits.removeLast() }
        return (d < 0, digits, pointPos)
    }

    /// Python `repr(str)`: single quotes unless the text has `'` and no `"`.
    static func stringRepr(_ s: String) -> String {
        let useDouble = s.contains("'") && !s.contains("\"")
        let quote: Character = useDouble ? "\"" : "'"
        var out = String(quote)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(scalar) == quote {
                    out += "\\" + String(quote)
                } else if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + hex(scalar.value, width: 2)
                } else if scalar.value >= 0x80 && !isPrintable(scalar) {
                    if scalar.value <= 0xFF { out += "\\x" + hex(scalar.value, width: 2) }
                    else if scalar.value <= 0xFFFF { out += "\\u" + hex(scalar.value, width: 4) }
                    else { out += "\\U" + hex(scalar.value, width: 8) }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append(quote)
        return out
    }

    /// Approximates `str.isprintable()` for non-ASCII scalars (control, format, separator, unassigned).
    private static func isPrintable(_ s: Unicode.Scalar) -> Bool {
        if s == " " { return true }
        switch s.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator,
             .spaceSeparator:
            return false
        default:
            return true
        }
    }

    static func hex(_ v: UInt32, width: Int) -> String {
        let h = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - h.count)) + h
    }
}
