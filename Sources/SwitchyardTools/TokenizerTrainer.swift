import SwitchyardTensor
import SwitchyardModel
import SwitchyardTokenizer
import Foundation

/// Trains a small byte-level BPE tokenizer (GPT-2 pre-tokenizer and alphabet) so `init-model`
/// checkpoints speak text: ids 0-2 are `<unk>`, `<s>`, `</s>` (matching the configs' BOS 1 and
/// EOS 2), 3-258 the 256 bytes, then merges learnt from a corpus, most frequent pair first.
/// Every text encodes (byte-level BPE has no unknown input), and every id is below `vocabSize`.
public enum TokenizerTrainer {
    public static let specialTokens = ["<unk>", "<s>", "</s>"]

    /// The learnt vocabulary and merges.
    public struct Result: Sendable {
        /// Token strings in id order (byte-level alphabet; the special tokens first).
        public var tokens: [String]
        public var merges: [(String, String)]
    }

    /// Learns merges on `corpus` until the vocabulary has `vocabSize` tokens or no pair occurs twice.
    public static func train(corpus: String, vocabSize: Int) -> Result {
        var tokens = specialTokens
        for byte in 0..<256 { tokens.append(String(TokenizerByteLevel.characters[byte])) }
        let firstByteID = Int32(specialTokens.count)
        let splitter = TokenizerPreTokenizer(steps: [.byteLevel(addPrefixSpace: false, gpt2Split: true)])
        var wordCounts: [String: Int] = [:]
        for piece in splitter.split(corpus, atStart: true) { wordCounts[piece, default: 0] += 1 }
        // Sorted so training does not depend on dictionary order.
        var words: [(symbols: [Int32], count: Int)] = wordCounts.sorted { $0.key < $1.key }.map { word, count in
            (word.utf8.map { firstByteID + Int32($0) }, count)
        }
        var merges: [(String, String)] = []
        while tokens.count < vocabSize {
            var pairCounts: [UInt64: Int] = [:]
            for word in words where word.symbols.count > 1 {
                for index in 0..<(word.symbols.count - 1) {
                    pairCounts[TokenizerBPE.key(word.symbols[index], word.symbols[index + 1]), default: 0] += word.count
                }
            }
            // The most frequent pair; the smallest key on ties.
            guard let (best, count) = pairCounts.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }),
                  count >= 2 else { break }
            let left = Int32(truncatingIfNeeded: best >> 32), right = Int32(truncatingIfNeeded: best)
            let merged = Int32(tokens.count)
            merges.append((tokens[Int(left)], tokens[Int(right)]))
            tokens.append(tokens[Int(left)] + tokens[Int(right)])
            for index in words.indices where words[index].symbols.count > 1 {
                words[index].symbols = apply(left, right, merged, to: words[index].symbols)
            }
        }
        return Result(tokens: tokens, merges: merges)
    }

    private static func apply(_ left: Int32, _ right: Int32, _ merged: Int32, to symbols: [Int32]) -> [Int32] {
        var output: [Int32] = []
        output.reserveCapacity(symbols.count)
        var index = 0
        while index < symbols.count {
            if index + 1 < symbols.count, symbols[index] == left, symbols[index + 1] == right {
                output.append(merged)
                index += 2
            } else {
                output.append(symbols[index])
                index += 1
            }
        }
        return output
    }

    /// Writes `tokenizer.json` and `tokenizer_config.json` (BOS added, as Llama/Mixtral do) for a
    /// tokenizer trained on the built-in English corpus, with at most `min(vocabSize, maxVocab)` ids.
    @discardableResult
    public static func write(vocabSize: Int, maxVocab: Int = 4096, modelMaxLength: Int, to directory: URL) throws -> Result {
        guard vocabSize > specialTokens.count + 256 else {
            throw TokenizerError.unsupported(path: directory.appendingPathComponent("tokenizer.json").path,
                                             what: "a byte-level tokenizer needs more than \(specialTokens.count + 256) ids; the model has \(vocabSize)")
        }
        let result = train(corpus: TokenizerTrainingCorpus.text, vocabSize: min(vocabSize, maxVocab))
        var vocab: [String: Int] = [:]
        for (id, token) in result.tokens.enumerated() { vocab[token] = id }
        let added: [[String: Any]] = specialTokens.enumerated().map { id, content in
            ["id": id, "content": content, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true]
        }
        let tokenizer: [String: Any] = [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(), "added_tokens": added, "normalizer": NSNull(),
            "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true],
            "post_processor": [
                "type": "TemplateProcessing",
                "single": [["SpecialToken": ["id": "<s>", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]]],
                "pair": [["SpecialToken": ["id": "<s>", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]],
                         ["SpecialToken": ["id": "<s>", "type_id": 1]], ["Sequence": ["id": "B", "type_id": 1]]],
                "special_tokens": ["<s>": ["id": "<s>", "ids": [1], "tokens": ["<s>"]]],
            ],
            "decoder": ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true],
            "model": [
                "type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "continuing_subword_prefix": NSNull(),
                "end_of_word_suffix": NSNull(), "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                "vocab": vocab, "merges": result.merges.map { [$0.0, $0.1] },
            ],
        ]
        let config: [String: Any] = [
            "add_bos_token": true, "add_eos_token": false, "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
            "model_max_length": modelMaxLength, "tokenizer_class": "PreTrainedTokenizerFast", "clean_up_tokenization_spaces": false,
        ]
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, object) in [("tokenizer.json", tokenizer), ("tokenizer_config.json", config)] {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            try data.write(to: directory.appendingPathComponent(name))
        }
        return result
    }
}
