import SwitchyardModel
import Foundation

/// The pre-tokenizer of a GGUF byte-level BPE tokenizer, chosen by `tokenizer.ggml.pre`: for each
/// name, the `pre_tokenizer` that model family's `tokenizer.json` holds (so a GGUF tokenizes as the
/// Hugging Face original does). An unknown name is an error, never a silent GPT-2 fallback.
enum GGUFPreTokenizer {
    /// The `tokenizer.ggml.pre` values read, for error messages.
    static let supported = ["default", "gpt-2", "olmo", "smollm", "llama-bpe", "qwen2", "deepseek-llm", "deepseek-v3", "gpt-4o"]

    /// Llama 3's split (the `Split` regex of its tokenizer.json).
    static let llama3Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    /// Qwen2's split: Llama 3's with single digits.
    static let qwen2Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    /// GPT-4o's (o200k) split.
    static let gpt4oPattern = #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    /// DeepSeek LLM's sequence of splits (newlines, Latin/Greek/Cyrillic-like letters, ASCII and full-width punctuation, trailing space, CJK, digits).
    static let deepseekLLMPatterns = [
        #"[\r\n]"#,
        #"\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+"#,
        #"\s?[!-/:-~！-／：-～‘-‟　-。]+"#,
        #"\s+$"#,
        #"[一-龥ࠀ-一가-퟿]+"#,
        #"\p{N}+"#,
    ]
    /// DeepSeek V3's sequence of splits (digit triples, CJK and kana, then words and punctuation).
    static let deepseekV3Patterns = [
        #"\p{N}{1,3}"#,
        #"[一-龥぀-ゟ゠-ヿ]+"#,
        ##"[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"##,
    ]

    /// The pre-tokenizer steps for `name` (nil: `default`).
    static func steps(named name: String?, path: String) throws -> [TokenizerPreTokenizer.Step] {
        let byteLevelOnly = TokenizerPreTokenizer.Step.byteLevel(addPrefixSpace: false, gpt2Split: false)
        func splits(_ patterns: [String]) throws -> [TokenizerPreTokenizer.Step] {
            try patterns.map { .split(try Tokenizer.regex($0, path: path)) } + [byteLevelOnly]
        }
        switch name ?? "default" {
        case "default", "gpt-2", "olmo":
            return [.byteLevel(addPrefixSpace: false, gpt2Split: true)]
        case "smollm":
            // SmolLM's tokenizer.json: Digits(individual_digits) then ByteLevel with GPT-2's regex.
            return [.split(try Tokenizer.regex(#"\p{N}"#, path: path)), .byteLevel(addPrefixSpace: false, gpt2Split: true)]
        case "llama-bpe":
            return [.qwenSplit(maxDigits: 3), byteLevelOnly]
        case "qwen2":
            return [.qwenSplit(maxDigits: 1), byteLevelOnly]
        case "gpt-4o":
            return try splits([gpt4oPattern])
        case "deepseek-llm":
            return try splits(deepseekLLMPatterns)
        case "deepseek-v3":
            return try splits(deepseekV3Patterns)
        case let other:
            throw TokenizerError.unsupported(path: path, what: "tokenizer.ggml.pre \"\(other)\" (supported: \(supported.joined(separator: ", ")))")
        }
    }
}
