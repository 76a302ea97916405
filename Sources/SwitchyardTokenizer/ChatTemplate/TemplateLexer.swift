/// A lexical token of a Jinja template.
enum TokenKind: Equatable {
    case text(String)
    case variableBegin, variableEnd
    case blockBegin, blockEnd
    case name(String)
    case string(String)
    case integer(Int)
    case float(Double)
    case op(String)
    case eof
}

struct Token {
    let kind: TokenKind
    let line: Int
}

/// Splits template source into tokens, applying Jinja2's whitespace rules as configured by
/// transformers: `trim_blocks=True` (drop the newline after a block/comment tag),
/// `lstrip_blocks=True` (drop spaces/tabs before a block/comment tag at line start),
/// plus explicit `-`/`+` modifiers. Like Jinja2, line endings are normalised to `\n`
/// and a single trailing newline of the template is removed.
struct Lexer {
    private let src: [Unicode.Scalar]
    private var pos = 0
    private var line = 1
    private var tokens: [Token] = []
    /// Whether the text about to be read begins at the start of a line (for lstrip_blocks).
    private var lineStarting = true

    init(source: String) {
        src = Array(Lexer.normalizeNewlines(source).unicodeScalars)
    }

    /// `"\n".join(source.splitlines())`, Python semantics.
    static func normalizeNewlines(_ s: String) -> String {
        let lines = StringOps.splitlines(Array(s.unicodeScalars), keepends: false)
        var out = String.UnicodeScalarView()
        for (i, l) in lines.enumerated() {
            if i > 0 { out.append("\n") }
            out.append(contentsOf: l)
        }
        return String(out)
    }

    private func syntax(_ message: String) -> TemplateError { .syntax(message: message, line: line) }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        let p = pos + offset
        return p < src.count ? src[p] : nil
    }

    private mutating func advance(_ n: Int = 1) {
        for _ in 0..<n where pos < src.count {
            if src[pos] == "\n" { line += 1 }
            pos += 1
        }
    }

    private func startsWith(_ s: String, at p: Int) -> Bool {
        var i = p
        for c in s.unicodeScalars {
            guard i < src.count, src[i] == c else { return false }
            i += 1
        }
        return true
    }

    mutating func tokenize() throws -> [Token] {
        while pos < src.count {
            // Find the next tag opener.
            var p = pos
            var opener: Unicode.Scalar? = nil
            while p + 1 < src.count {
                if src[p] == "{", src[p + 1] == "{" || src[p + 1] == "%" || src[p + 1] == "#" {
                    opener = src[p + 1]
                    break
                }
                p += 1
            }
            let textEnd = opener == nil ? src.count : p
            var text = Array(src[pos..<textEnd])
            let textLine = line
            advance(textEnd - pos)
            guard let kind = opener else {
                emitText(text, line: textLine)
                break
            }
            let modifier = peek(2)
            if modifier == "-" {
                while let last = text.last, StringOps.isSpace(last) { text.removeLast() }
            } else if modifier != "+" && kind != "{" {
                // lstrip_blocks: remove trailing spaces/tabs when they follow a newline (or start of line).
                var l = text.count
                while l > 0, text[l - 1] == " " || text[l - 1] == "\t" { l -= 1 }
                if (l > 0 && text[l - 1] == "\n") || (l == 0 && lineStarting) {
                    text.removeSubrange(l...)
                }
            }
            emitText(text, line: textLine)
            advance(modifier == "-" || modifier == "+" ? 3 : 2)
            switch kind {
            case "#": try lexComment()
            case "%":
                tokens.append(Token(kind: .blockBegin, line: line))
                try lexInside(isBlock: true)
            default:
                tokens.append(Token(kind: .variableBegin, line: line))
                try lexInside(isBlock: false)
            }
        }
        tokens.append(Token(kind: .eof, line: line))
        return tokens
    }

    private mutating func emitText(_ text: [Unicode.Scalar], line: Int) {
        guard !text.isEmpty else { return }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: text)
        tokens.append(Token(kind: .text(String(view)), line: line))
    }

    /// Handles what follows a closing tag: `-` strips all whitespace, otherwise trim_blocks
    /// removes a single newline for block and comment tags.
    private mutating func afterClose(strip: Bool, keep: Bool, trimNewline: Bool) {
        var consumedLast: Unicode.Scalar? = nil
        if strip {
            while let c = peek(), StringOps.isSpace(c) { consumedLast = c; advance() }
        } else if trimNewline && !keep, peek() == "\n" {
            consumedLast = "\n"
            advance()
        }
        lineStarting = consumedLast == "\n"
    }

    private mutating func lexComment() throws {
        let startLine = line
        while pos < src.count {
            if src[pos] == "#", peek(1) == "}" {
                advance(2)
                afterClose(strip: false, keep: false, trimNewline: true)
                return
            }
            if (src[pos] == "-" || src[pos] == "+"), peek(1) == "#", peek(2) == "}" {
                let strip = src[pos] == "-"
                advance(3)
                afterClose(strip: strip, keep: !strip, trimNewline: true)
                return
            }
            advance()
        }
        throw TemplateError.syntax(message: "missing end of comment tag", line: startLine)
    }

    private mutating func lexInside(isBlock: Bool) throws {
        let close: Unicode.Scalar = isBlock ? "%" : "}"
        var depth = 0
        while true {
            while let c = peek(), StringOps.isSpace(c) { advance() }
            guard let c = peek() else {
                throw syntax("unexpected end of template, expected '\(isBlock ? "%}" : "}}")'")
            }
            // Closing tag (only when not inside brackets, as Jinja2's balancing stack does).
            if depth == 0 {
                if c == close, peek(1) == "}" {
                    advance(2)
                    tokens.append(Token(kind: isBlock ? .blockEnd : .variableEnd, line: line))
                    afterClose(strip: false, keep: false, trimNewline: isBlock)
                    return
                }
                if (c == "-" || c == "+"), peek(1) == close, peek(2) == "}" {
                    advance(3)
                    tokens.append(Token(kind: isBlock ? .blockEnd : .variableEnd, line: line))
                    afterClose(strip: c == "-", keep: c == "+", trimNewline: isBlock)
                    return
                }
            }
            let tokLine = line
            if c == "_" || c.properties.isAlphabetic && c.isASCII {
                var name = String.UnicodeScalarView()
                while let d = peek(), d == "_" || (d.isASCII && (d.properties.isAlphabetic || isDigit(d))) {
                    name.append(d); advance()
                }
                tokens.append(Token(kind: .name(String(name)), line: tokLine))
            } else if isDigit(c) {
                tokens.append(Token(kind: try lexNumber(), line: tokLine))
            } else if c == "'" || c == "\"" {
                tokens.append(Token(kind: .string(try lexString(quote: c)), line: tokLine))
            } else {
                let three = ["//", "**", "==", "!=", ">=", "<="]
                var opText: String? = nil
                for o in three where startsWith(o, at: pos) { opText = o; break }
                if opText == nil {
                    let singles = "+-/*%~[](){}<>=.:|,;"
                    if singles.unicodeScalars.contains(c) { opText = String(Character(c)) }
                }
                guard let o = opText else { throw syntax("unexpected character '\(Character(c))'") }
                if o == "(" || o == "[" || o == "{" { depth += 1 }
                if o == ")" || o == "]" || o == "}" { depth = max(0, depth - 1) }
                advance(o.unicodeScalars.count)
                tokens.append(Token(kind: .op(o), line: tokLine))
            }
        }
    }

    private func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }

    private mutating func lexNumber() throws -> TokenKind {
        var text = ""
        func digits(_ lexer: inout Lexer) {
            while let d = lexer.peek(), lexer.isDigit(d) || (d == "_" && lexer.peek(1).map(lexer.isDigit) == true) {
                if d != "_" { text.unicodeScalars.append(d) }
                lexer.advance()
            }
        }
        digits(&self)
        var isFloat = false
        if peek() == ".", let n = peek(1), isDigit(n) {
            isFloat = true
            text += "."
            advance()
            digits(&self)
        }
        if let e = peek(), e == "e" || e == "E" {
            var off = 1
            if let s = peek(1), s == "+" || s == "-" { off = 2 }
            if let d = peek(off), isDigit(d) {
                isFloat = true
                text += "e"
                if off == 2 { text.unicodeScalars.append(peek(1)!) }
                advance(off)
                digits(&self)
            }
        }
        if isFloat {
            guard let d = Double(text) else { throw syntax("bad number \(text)") }
            return .float(d)
        }
        guard let i = Int(text) else { throw syntax("integer literal too large: \(text)") }
        return .integer(i)
    }

    /// String literal with Python `unicode-escape` semantics (unknown escapes are kept verbatim).
    private mutating func lexString(quote: Unicode.Scalar) throws -> String {
        let startLine = line
        advance()
        var out = String.UnicodeScalarView()
        while true {
            guard let c = peek() else {
                throw TemplateError.syntax(message: "unterminated string literal", line: startLine)
            }
            advance()
            if c == quote { break }
            if c != "\\" { out.append(c); continue }
            guard let e = peek() else { continue }
            advance()
            switch e {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "\\": out.append("\\")
            case "'": out.append("'")
            case "\"": out.append("\"")
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "v": out.append("\u{0B}")
            case "0"..."7":
                var v = e.value - 48
                var n = 1
                while n < 3, let d = peek(), d >= "0" && d <= "7" { v = v * 8 + d.value - 48; advance(); n += 1 }
                out.append(Unicode.Scalar(v) ?? "\u{FFFD}")
            case "\n": break
            case "x", "u", "U":
                let width = e == "x" ? 2 : (e == "u" ? 4 : 8)
                var v: UInt32 = 0
                for _ in 0..<width {
                    guard let d = peek(), let h = d.properties.numericType != nil || d.isASCII ? UInt32(String(d), radix: 16) : nil else {
                        throw syntax("truncated \\\(Character(e)) escape in string literal")
                    }
                    v = v * 16 + h
                    advance()
                }
                out.append(Unicode.Scalar(v) ?? "\u{FFFD}")
            default:
                out.append("\\")
                out.append(e)
            }
        }
        return String(out)
    }
}
