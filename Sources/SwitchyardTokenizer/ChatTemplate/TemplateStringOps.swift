/// Python `str` operations implemented on Unicode scalars (Python strings are sequences of
/// code points, not grapheme clusters, so lengths, slices and searches must use scalars).
enum StringOps {
    static func scalars(_ s: String) -> [Unicode.Scalar] { Array(s.unicodeScalars) }

    static func string<S: Sequence>(_ scalars: S) -> String where S.Element == Unicode.Scalar {
        var v = String.UnicodeScalarView()
        v.append(contentsOf: scalars)
        return String(v)
    }

    static func length(_ s: String) -> Int { s.unicodeScalars.count }

    /// `str.isspace()` for one character.
    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    static func isLineBreak(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029: return true
        default: return false
        }
    }

    /// `str.splitlines(keepends)`.
    static func splitlines(_ s: [Unicode.Scalar], keepends: Bool) -> [[Unicode.Scalar]] {
        var lines: [[Unicode.Scalar]] = []
        var start = 0
        var i = 0
        while i < s.count {
            if isLineBreak(s[i]) {
                var end = i + 1
                if s[i] == "\r", i + 1 < s.count, s[i + 1] == "\n" { end = i + 2 }
                lines.append(Array(s[start..<(keepends ? end : i)]))
                start = end
                i = end
            } else {
                i += 1
            }
        }
        if start < s.count { lines.append(Array(s[start...])) }
        return lines
    }

    /// `str.strip/lstrip/rstrip(chars)`; `chars == nil` strips whitespace.
    static func strip(_ s: String, chars: String?, left: Bool, right: Bool) -> String {
        let a = scalars(s)
        let set = chars.map { Set($0.unicodeScalars) }
        func drop(_ c: Unicode.Scalar) -> Bool { set.map { $0.contains(c) } ?? isSpace(c) }
        var lo = 0
        var hi = a.count
        if left { while lo < hi, drop(a[lo]) { lo += 1 } }
        if right { while hi > lo, drop(a[hi - 1]) { hi -= 1 } }
        return string(a[lo..<hi])
    }

    /// Index of the first occurrence of `needle` in `hay` at or after `from`.
    static func find(_ hay: [Unicode.Scalar], _ needle: [Unicode.Scalar], from: Int = 0) -> Int? {
        if needle.isEmpty { return from <= hay.count ? from : nil }
        guard hay.count >= needle.count else { return nil }
        var i = max(0, from)
        while i + needle.count <= hay.count {
            if hay[i] == needle[0] {
                var ok = true
                for j in 1..<needle.count where hay[i + j] != needle[j] { ok = false; break }
                if ok { return i }
            }
            i += 1
        }
        return nil
    }

    static func rfind(_ hay: [Unicode.Scalar], _ needle: [Unicode.Scalar]) -> Int? {
        if needle.isEmpty { return hay.count }
        guard hay.count >= needle.count else { return nil }
        var i = hay.count - needle.count
        while i >= 0 {
            if Array(hay[i..<i + needle.count]) == needle { return i }
            i -= 1
        }
        return nil
    }

    static func contains(_ s: String, _ sub: String) -> Bool { find(scalars(s), scalars(sub)) != nil }

    static func hasPrefix(_ s: String, _ p: String) -> Bool { s.unicodeScalars.starts(with: p.unicodeScalars) }

    static func hasSuffix(_ s: String, _ p: String) -> Bool {
        s.unicodeScalars.reversed().starts(with: p.unicodeScalars.reversed())
    }

    /// `str.split(sep, maxsplit)`; `sep == nil` splits on whitespace runs.
    static func split(_ s: String, sep: String?, maxsplit: Int) throws -> [String] {
        let a = scalars(s)
        var parts: [String] = []
        if let sep {
            let n = scalars(sep)
            if n.isEmpty { throw TemplateError.runtime(message: "empty separator") }
            var start = 0
            while maxsplit < 0 || parts.count < maxsplit, let i = find(a, n, from: start) {
                parts.append(string(a[start..<i]))
                start = i + n.count
            }
            parts.append(string(a[start...]))
            return parts
        }
        var i = 0
        while i < a.count {
            while i < a.count, isSpace(a[i]) { i += 1 }
            if i >= a.count { break }
            if maxsplit >= 0 && parts.count >= maxsplit {
                var end = a.count
                while end > i, isSpace(a[end - 1]) { end -= 1 }
                parts.append(string(a[i..<end]))
                break
            }
            let start = i
            while i < a.count, !isSpace(a[i]) { i += 1 }
            parts.append(string(a[start..<i]))
        }
        return parts
    }

    /// `str.rsplit(sep, maxsplit)`.
    static func rsplit(_ s: String, sep: String?, maxsplit: Int) throws -> [String] {
        if maxsplit < 0 { return try split(s, sep: sep, maxsplit: -1) }
        let rev = string(scalars(s).reversed())
        let revSep = sep.map { string(scalars($0).reversed()) }
        return try split(rev, sep: revSep, maxsplit: maxsplit).reversed().map { string(scalars($0).reversed()) }
    }

    /// `str.replace(old, new, count)`.
    static func replace(_ s: String, _ old: String, _ new: String, count: Int = -1) -> String {
        let a = scalars(s)
        let o = scalars(old)
        let n = scalars(new)
        var out: [Unicode.Scalar] = []
        var done = 0
        if o.isEmpty {
            for (i, c) in a.enumerated() {
                if count < 0 || done < count { out += n; done += 1 }
                out.append(c)
                _ = i
            }
            if count < 0 || done < count { out += n }
            return string(out)
        }
        var start = 0
        while count < 0 || done < count, let i = find(a, o, from: start) {
            out += a[start..<i]
            out += n
            start = i + o.count
            done += 1
        }
        out += a[start...]
        return string(out)
    }

    static func upper(_ s: String) -> String { s.uppercased() }
    static func lower(_ s: String) -> String { s.lowercased() }

    /// `str.capitalize()`: first character upper-cased, the rest lower-cased.
    static func capitalize(_ s: String) -> String {
        guard let first = s.unicodeScalars.first else { return s }
        return String(first).uppercased() + string(s.unicodeScalars.dropFirst()).lowercased()
    }

    /// Python `str.title()`: letters after a non-letter are upper-cased, others lower-cased.
    static func pythonTitle(_ s: String) -> String {
        var out = ""
        var prevCased = false
        for c in s.unicodeScalars {
            let isLetter = c.properties.isAlphabetic
            out += prevCased ? String(c).lowercased() : String(c).uppercased()
            prevCased = isLetter
        }
        return out
    }

    /// Jinja2's `title` filter: words start after runs of `-`, whitespace, `(`, `{`, `[`, `<`.
    static func jinjaTitle(_ s: String) -> String {
        var out = ""
        var atWordStart = true
        for c in s.unicodeScalars {
            let isBoundary = c == "-" || c == "(" || c == "{" || c == "[" || c == "<" || isSpace(c)
            if isBoundary {
                out.unicodeScalars.append(c)
                atWordStart = true
            } else {
                out += atWordStart ? String(c).uppercased() : String(c).lowercased()
                atWordStart = false
            }
        }
        return out
    }
}
