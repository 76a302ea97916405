import SwitchyardModel
/// The `decoder` of `tokenizer.json`: turns the token strings of some ids back into text, step by
/// step as the `tokenizers` package's decoders do (each step maps the list of token strings).
struct TokenizerDecoder: Sendable {
    enum Step: Sendable {
        /// Token strings in GPT-2's byte-level alphabet to bytes, decoded as lossy UTF-8 (one string).
        case byteLevel
        /// Every occurrence of a literal replaced in each token.
        case replace(String, with: String)
        /// Runs of `<0xNN>` tokens become the text of their bytes (one U+FFFD per byte when invalid).
        case byteFallback
        /// All tokens joined into one.
        case fuse
        /// Up to `start` leading and `stop` trailing `content` characters removed from each token.
        case strip(content: Unicode.Scalar, start: Int, stop: Int)
        /// `replacement` becomes a space; in the first token it is dropped unless the prepend scheme is `never`.
        case metaspace(replacement: String, dropInFirstToken: Bool)
    }

    /// nil: no decoder in the file (`tokenizers` then joins the token strings with spaces).
    let steps: [Step]?

    func decode(_ tokens: [String]) -> String {
        guard let steps else { return tokens.joined(separator: " ") }
        var tokens = tokens
        for step in steps { tokens = apply(step, tokens) }
        return tokens.joined()
    }

    /// The bytes one token contributes in the middle of a text (no first-token or strip rules; a
    /// byte-fallback token is its raw byte), for naming tokens in logprobs.
    func bytes(ofToken token: String) -> [UInt8] {
        guard let steps else { return Array(token.utf8) }
        var text = token
        for step in steps {
            switch step {
            case .byteLevel:
                var bytes: [UInt8] = []
                TokenizerByteLevel.decode(text, into: &bytes)
                return bytes
            case .byteFallback:
                if let byte = Self.fallbackByte(text) { return [byte] }
            case let .replace(pattern, replacement):
                text = TokenizerText.replacing(text, pattern, with: replacement)
            case let .metaspace(replacement, _):
                text = TokenizerText.replacing(text, replacement, with: " ")
            case .fuse, .strip:
                break
            }
        }
        return Array(text.utf8)
    }

    private func apply(_ step: Step, _ tokens: [String]) -> [String] {
        switch step {
        case .byteLevel:
            var bytes: [UInt8] = []
            for token in tokens { TokenizerByteLevel.decode(token, into: &bytes) }
            return [String(decoding: bytes, as: UTF8.self)]
        case let .replace(pattern, replacement):
            return tokens.map { TokenizerText.replacing($0, pattern, with: replacement) }
        case .byteFallback:
            var result: [String] = []
            result.reserveCapacity(tokens.count)
            var pending: [UInt8] = []
            func flush() {
                guard !pending.isEmpty else { return }
                if let text = String(validatingUTF8Bytes: pending) {
                    result.append(text)
                } else {
                    result.append(contentsOf: repeatElement("\u{FFFD}", count: pending.count))
                }
                pending.removeAll(keepingCapacity: true)
            }
            for token in tokens {
                if let byte = Self.fallbackByte(token) {
                    pending.append(byte)
                } else {
                    flush()
                    result.append(token)
                }
            }
            flush()
            return result
        case .fuse:
            return [tokens.joined()]
        case let .strip(content, start, stop):
            return tokens.map { Self.strip($0, content, start: start, stop: stop) }
        case let .metaspace(replacement, dropInFirstToken):
            return tokens.enumerated().map { index, token in
                TokenizerText.replacing(token, replacement, with: index == 0 && dropInFirstToken ? "" : " ")
            }
        }
    }

    /// The byte of a `<0xNN>` token.
    static func fallbackByte(_ token: String) -> UInt8? {
        let utf8 = token.utf8
        guard utf8.count == 6, utf8.starts(with: "<0x".utf8), utf8.last == UInt8(ascii: ">") else { return nil }
        let digits = Array(utf8)[3...4]
        return UInt8(String(decoding: digits, as: UTF8.self), radix: 16)
    }

    private static func strip(_ token: String, _ content: Unicode.Scalar, start: Int, stop: Int) -> String {
        var scalars = Substring(token).unicodeScalars
        var removed = 0
        while removed < start, scalars.first == content {
            scalars.removeFirst()
            removed += 1
        }
        removed = 0
        while removed < stop, scalars.last == content {
            scalars.removeLast()
            removed += 1
        }
        return String(scalars)
    }
}

extension String {
    /// The string of `bytes` when they are valid UTF-8, nil otherwise.
    public init?(validatingUTF8Bytes bytes: [UInt8]) {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var scalars = String.UnicodeScalarView()
        loop: while true {
            switch decoder.decode(&iterator) {
            case let .scalarValue(scalar): scalars.append(scalar)
            case .emptyInput: break loop
            case .error: return nil
            }
        }
        self = String(scalars)
    }
}
