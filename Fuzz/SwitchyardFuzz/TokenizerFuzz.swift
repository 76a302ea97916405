import Foundation
import SwitchyardTokenizer

/// The tokenizers of `Tests/SwitchyardTokenizerTests/Fixtures/tokenizers` (byte-level BPE as GPT-2
/// and Qwen, SentencePiece BPE with byte fallback as Llama and Mistral, Metaspace): the first
/// byte picks one, the second how the rest is used:
/// * even: the rest is text (invalid UTF-8 repaired, as the server does): encode, then decode;
///   every id is in the vocabulary, and byte-level tokenizers give the text back exactly, also
///   when the ids are detokenized one at a time as a stream;
/// * odd: the rest is token ids (16 bits each, some outside the vocabulary): decode refuses or
///   decodes, and streaming them never crashes.
enum TokenizerFuzz {
    static let names = ["gpt2_bytelevel", "qwen_bytelevel", "llama_sentencepiece", "mistral_metaspace", "metaspace_always"]
    /// Tokenizers that map text to bytes one to one (no normalizer, no added prefix space).
    static let lossless: Set<String> = ["gpt2_bytelevel", "qwen_bytelevel"]

    static let tokenizers: [Tokenizer] = names.map { name in
        let directory = URL(fileURLWithPath: FuzzTargets.corpusRoot)
            .deletingLastPathComponent()
            .appendingPathComponent("SwitchyardTokenizerTests/Fixtures/tokenizers/\(name)")
        do { return try Tokenizer.load(directory: directory) } catch {
            fatalError("cannot load the fixture tokenizer \(directory.path): \(error)")
        }
    }

    static func run(_ data: [UInt8]) {
        var input = FuzzInput(data)
        let index = Int(input.byte()) % names.count
        let tokenizer = tokenizers[index]
        let mode = input.byte()
        let rest = input.rest()
        if mode & 1 == 0 {
            let text = String(decoding: rest, as: UTF8.self)
            let ids = tokenizer.encode(text, addSpecialTokens: mode & 2 != 0)
            fuzzCheck(ids.allSatisfy { $0 >= 0 && Int($0) < tokenizer.vocabSize }, "an encoded id is outside the vocabulary")
            let decoded: String
            do { decoded = try tokenizer.decode(ids) } catch {
                fuzzCheck(false, "decoding encoded ids failed: \(error)")
                return
            }
            guard lossless.contains(names[index]), mode & 2 == 0 else { return }
            fuzzCheck(decoded == text, "\(names[index]) does not round-trip \(Array(text.utf8))")
            fuzzCheck(stream(ids, tokenizer) == text, "\(names[index]) streams \(Array(text.utf8)) differently")
        } else {
            var ids: [Int32] = []
            var reader = FuzzInput(rest)
            while !reader.isAtEnd { ids.append(Int32(reader.uint16()) - 16) }
            _ = try? tokenizer.decode(ids, skipSpecialTokens: mode & 2 != 0)
            let valid = ids.filter { $0 >= 0 && Int($0) < tokenizer.vocabSize }
            _ = stream(valid, tokenizer)
        }
    }

    /// The text of `ids` as the server streams it: one id at a time through the detokenizer.
    static func stream(_ ids: [Int32], _ tokenizer: Tokenizer) -> String {
        var detokenizer = IncrementalDetokenizer()
        let decode = { (window: ArraySlice<Int32>) in (try? tokenizer.decode(window)) ?? "" }
        var text = ""
        for id in ids { text += detokenizer.next(id, decode: decode) }
        return text + detokenizer.finish(decode: decode)
    }
}
