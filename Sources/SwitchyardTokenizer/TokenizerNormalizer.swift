import SwitchyardModel
import Foundation

/// The `normalizer` of `tokenizer.json`, applied to each run of text between added tokens before
/// pre-tokenization (Llama's legacy layout puts its "▁" handling here).
struct TokenizerNormalizer: @unchecked Sendable {
    enum Step {
        /// Puts a string in front of non-empty text (`Prepend`).
        case prepend(String)
        /// Replaces every occurrence of a literal (`Replace` with a `String` pattern).
        case replace(String, with: String)
        /// Replaces every match of a regular expression (`Replace` with a `Regex` pattern).
        case replaceRegex(NSRegularExpression, with: String)
        case nfc, nfd, nfkc, nfkd, lowercase
    }

    let steps: [Step]

    var isEmpty: Bool { steps.isEmpty }

    func normalize(_ text: String) -> String {
        var text = text
        for step in steps {
            switch step {
            case let .prepend(prefix):
                if !text.isEmpty { text = prefix + text }
            case let .replace(pattern, replacement):
                text = TokenizerText.replacing(text, pattern, with: replacement)
            case let .replaceRegex(regex, replacement):
                let range = NSRange(location: 0, length: (text as NSString).length)
                text = regex.stringByReplacingMatches(in: text, range: range, withTemplate: NSRegularExpression.escapedTemplate(for: replacement))
            case .nfc: text = text.precomposedStringWithCanonicalMapping
            case .nfd: text = text.decomposedStringWithCanonicalMapping
            case .nfkc: text = text.precomposedStringWithCompatibilityMapping
            case .nfkd: text = text.decomposedStringWithCompatibilityMapping
            case .lowercase: text = text.lowercased()
            }
        }
        return text
    }
}
