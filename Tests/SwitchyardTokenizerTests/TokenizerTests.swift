import SwitchyardTokenizer
import Foundation
import Testing
import TestSupport
@testable import SwitchyardTokenizer
import SwitchyardModel

/// One tokenizer fixture of `scripts/make_tokenizer_fixtures.py`.
struct TokenizerFixture: Decodable {
    struct Case: Decodable {
        var text: String
        var ids: [Int32]
        var idsWithSpecial: [Int32]
        var decoded: String
        var decodedSkippingSpecial: String

        enum CodingKeys: String, CodingKey {
            case text, ids, decoded
            case idsWithSpecial = "ids_with_special"
            case decodedSkippingSpecial = "decoded_skipping_special"
        }
    }

    var name: String
    var cases: [Case]

    static let names = ["gpt2_bytelevel", "qwen_bytelevel", "llama_sentencepiece", "mistral_metaspace", "metaspace_always"]

    static func directory(_ name: String) throws -> URL {
        guard let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw TokenizerFixtureError()
        }
        return root.appendingPathComponent("tokenizers").appendingPathComponent(name)
    }

    static func load(_ name: String) throws -> (TokenizerFixture, Tokenizer) {
        let directory = try directory(name)
        let fixture = try JSONDecoder().decode(TokenizerFixture.self, from: Data(contentsOf: directory.appendingPathComponent("cases.json")))
        return (fixture, try Tokenizer.load(directory: directory))
    }
}

@Suite("Tokenizer (byte-level and SentencePiece BPE)")
struct TokenizerTests {
    @Test(arguments: TokenizerFixture.names)
    func idsMatchTheTokenizersPackage(name: String) throws {
        let (fixture, tokenizer) = try TokenizerFixture.load(name)
        #expect(fixture.cases.count >= 20)
        for testCase in fixture.cases {
            #expect(tokenizer.encode(testCase.text) == testCase.ids, "\(name): \(testCase.text.debugDescription)")
            #expect(tokenizer.encode(testCase.text, addSpecialTokens: true) == testCase.idsWithSpecial, "\(name): \(testCase.text.debugDescription)")
            #expect(try tokenizer.decode(testCase.ids) == testCase.decoded, "\(name): \(testCase.text.debugDescription)")
            #expect(try tokenizer.decode(testCase.ids, skipSpecialTokens: true) == testCase.decodedSkippingSpecial, "\(name): \(testCase.text.debugDescription)")
        }
        // Every text round-trips where `tokenizers` says it does; for the byte-level and
        // byte-fallback fixtures that is most of them.
        let roundTrips = fixture.cases.filter { $0.decoded == $0.text }
        #expect(roundTrips.count >= (name == "metaspace_always" ? 5 : 20), "\(name): \(roundTrips.count) round trips")
    }

    @Test func sentencePieceConfigAndTemplate() throws {
        let (_, llama) = try TokenizerFixture.load("llama_sentencepiece")
        #expect(llama.bosTokenID == 1 && llama.eosTokenID == 2 && llama.addsBOS && !llama.addsEOS)
        #expect(llama.encode("hi", addSpecialTokens: true).first == 1)
        #expect(llama.id(of: "<0x0A>") == Int32(13))  // after <unk> <s> </s>, bytes in order
        let (_, mistral) = try TokenizerFixture.load("mistral_metaspace")
        #expect(mistral.prefixIDs == [1] && mistral.suffixIDs == [2])
        // A byte-fallback token names its byte in logprobs; a "▁" piece reads as a space.
        #expect(mistral.bytes(of: 3 + 0xE6) == [0xE6])
        let space = try #require(mistral.id(of: "\u{2581}"))
        #expect(mistral.bytes(of: space) == [0x20])
    }

    @Test func handWrittenGPT2SplitMatchesTheRegex() throws {
        let regex = try NSRegularExpression(pattern: TokenizerPreTokenizer.gpt2Pattern)
        let alphabet: [String] = [" ", " ", "  ", "\t", "\n", "\r\n", "\u{A0}", "\u{3000}", "a", "Z", "é", "e\u{301}", "ß", "日", "한",
                                  "1", "42", "½", "٣", "'", "'s", "'t", "'re", "'ll", "'S", "''", ".", ",", "!?", "$", "_", "-", "👍", "👍🏽", "🇺🇸", "\u{200B}"]
        var random = SystemRandomNumberGenerator()
        for _ in 0..<400 {
            let text = (0..<Int.random(in: 1...14, using: &random)).map { _ in alphabet.randomElement(using: &random)! }.joined()
            #expect(TokenizerPreTokenizer.gpt2Pieces(text) == TokenizerPreTokenizer.isolate(text, regex), "\(text.debugDescription)")
        }
    }

    @Test(arguments: [1, 3])
    func handWrittenQwenSplitMatchesTheRegex(maxDigits: Int) throws {
        let pattern = maxDigits == 1 ? TokenizerQwenSplit.qwenPattern : TokenizerQwenSplit.llama3Pattern
        let regex = try NSRegularExpression(pattern: pattern)
        let alphabet: [String] = [" ", " ", "  ", "\t", "\n", "\r\n", "\n\n", " \n ", "\u{A0}", "a", "Z", "é", "e\u{301}", "日", "1", "42", "12345",
                                  "½", "'", "'s", "'T", "'Re", "'LL", "''", ".", "(", "!?", "$", "_", "👍", "👍🏽", "\u{200B}"]
        var random = SystemRandomNumberGenerator()
        for _ in 0..<400 {
            let text = (0..<Int.random(in: 1...14, using: &random)).map { _ in alphabet.randomElement(using: &random)! }.joined()
            #expect(TokenizerPreTokenizer.pieces(text, .qwen(maxDigits: maxDigits)) == TokenizerPreTokenizer.isolate(text, regex), "\(text.debugDescription)")
        }
    }

    @Test func canonicallyEquivalentTokensStayDistinct() throws {
        // "e" + U+0301 and the precomposed "é" are different tokens (Swift's String == says equal).
        let json = #"{"model": {"type": "BPE", "vocab": {"e": 0, "\u0301": 1, "e\u0301": 2, "\u00e9": 3}, "merges": [["e", "\u0301"]]}}"#
        let tokenizer = try Tokenizer(tokenizerJSON: Data(json.utf8))
        #expect(tokenizer.vocabSize == 4)
        #expect(tokenizer.encode("e\u{301}") == [2])
        #expect(tokenizer.encode("\u{e9}") == [3])
        #expect(tokenizer.token(of: 2)?.unicodeScalars.count == 2 && tokenizer.token(of: 3)?.unicodeScalars.count == 1)
    }

    @Test func longWordsMergeTheSameWithTheHeap() throws {
        let (fixture, tokenizer) = try TokenizerFixture.load("llama_sentencepiece")
        var random = SystemRandomNumberGenerator()
        let alphabet = Array(fixture.cases.map(\.text).joined().unicodeScalars)
        for length in [2, 5, 30, 49, 120, 400] {
            for _ in 0..<5 {
                var symbols: [Int32] = (0..<length).compactMap { _ in
                    let id = tokenizer.model.id(of: alphabet.randomElement(using: &random)!)
                    return id >= 0 ? id : nil
                }
                var quadratic = symbols
                while quadratic.count > 1 {  // reference: the textbook loop
                    var best: (rank: Int32, index: Int, merged: Int32)?
                    for index in 0..<(quadratic.count - 1) {
                        if let merge = tokenizer.model.merges[TokenizerBPE.key(quadratic[index], quadratic[index + 1])],
                           merge.rank < (best?.rank ?? .max) {
                            best = (merge.rank, index, merge.merged)
                        }
                    }
                    guard let best else { break }
                    quadratic[best.index] = best.merged
                    quadratic.remove(at: best.index + 1)
                }
                tokenizer.model.heapMerge(&symbols)
                #expect(symbols == quadratic, "length \(length)")
            }
        }
    }

    @Test func specialTokensAndConfig() throws {
        let (_, tokenizer) = try TokenizerFixture.load("qwen_bytelevel")
        let end = try #require(tokenizer.id(of: "<|im_end|>"))
        #expect(tokenizer.eosTokenID == end && tokenizer.addsEOS && !tokenizer.addsBOS && tokenizer.bosTokenID == nil)
        #expect(tokenizer.isSpecial(end))
        let ids = tokenizer.encode("hi<|im_end|>")
        #expect(ids.last == end)
        #expect(try tokenizer.decode(ids, skipSpecialTokens: true) == "hi")
        #expect(throws: TokenizerError.self) { try tokenizer.decode([Int32(tokenizer.vocabSize)]) }
        #expect(throws: TokenizerError.self) { try tokenizer.decode([-1]) }
    }

    @Test(arguments: TokenizerFixture.names)
    func streamingDecodeNeverSplitsACharacter(name: String) throws {
        let (fixture, tokenizer) = try TokenizerFixture.load(name)
        for testCase in fixture.cases where !testCase.decoded.contains("\u{FFFD}") {
            var stream = TokenizerStreamDecoder(tokenizer: tokenizer, skipSpecialTokens: false)
            var text = ""
            for id in testCase.ids {
                let piece = stream.next(id)
                #expect(!piece.contains("\u{FFFD}"), "\(testCase.text.debugDescription)")
                text += piece
            }
            text += stream.finish()
            #expect(text == testCase.decoded, "\(name): \(testCase.text.debugDescription)")
        }
    }

    @Test func streamingHoldsIncompleteCharactersAndFlushesAtTheEnd() throws {
        let (_, tokenizer) = try TokenizerFixture.load("mistral_metaspace")
        let bytes = Array("日".utf8).map { Int32(3) + Int32($0) }  // <0xE6> <0x97> <0xA5>
        var stream = TokenizerStreamDecoder(tokenizer: tokenizer)
        #expect(stream.next(bytes[0]) == "")
        #expect(stream.next(bytes[1]) == "")
        #expect(stream.next(bytes[2]) == "日")
        #expect(stream.next(bytes[0]) == "")
        // A dangling byte comes out as U+FFFD at the end (ByteFallback spoils its whole byte run).
        let rest = stream.finish()
        #expect(!rest.isEmpty && rest.unicodeScalars.allSatisfy { $0 == "\u{FFFD}" })
        // Ids past the tokenizer's vocabulary (a padded model vocabulary) add nothing.
        var padded = TokenizerStreamDecoder(tokenizer: tokenizer)
        #expect(padded.next(Int32(tokenizer.vocabSize + 5)) == "")
        #expect(padded.finish() == "")
    }

    @Test func badFilesGiveClearErrors() throws {
        #expect(throws: TokenizerError.self) { try Tokenizer(tokenizerJSON: Data("[]".utf8)) }
        #expect { try Tokenizer(tokenizerJSON: Data(#"{"model": {"type": "Unigram", "vocab": []}}"#.utf8)) } throws: {
            String(describing: $0).contains("Unigram")
        }
        #expect { try Tokenizer(tokenizerJSON: Data(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}"#.utf8)) } throws: {
            String(describing: $0).contains("merge 0")
        }
        #expect { try Tokenizer(tokenizerJSON: Data(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "Whitespace"}}"#.utf8)) } throws: {
            String(describing: $0).contains("Whitespace")
        }
        let byteLevel = #"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "#
        for (component, name) in [(#""normalizer": {"type": "BertNormalizer"}"#, "BertNormalizer"),
                                  (#""decoder": {"type": "WordPiece"}"#, "WordPiece"),
                                  (#""pre_tokenizer": {"type": "Metaspace", "prepend_scheme": "sometimes"}"#, "sometimes")] {
            #expect { try Tokenizer(tokenizerJSON: Data((byteLevel + component + "}").utf8)) } throws: {
                String(describing: $0).contains(name)
            }
        }
        #expect { try Tokenizer(tokenizerJSON: Data(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "unk_token": "<unk>"}}"#.utf8)) } throws: {
            String(describing: $0).contains("unk_token")
        }
        #expect { try Tokenizer(tokenizerJSON: Data(#"{"model": {"type": "BPE", "vocab": {"a": 0,}}}"#.utf8)) } throws: {
            String(describing: $0).contains("invalid JSON at byte")
        }
        let empty = try TemporaryDirectory()
        #expect(throws: TokenizerError.missingFile(path: empty.url.appendingPathComponent("tokenizer.json").path)) {
            try Tokenizer.load(directory: empty.url)
        }
    }

    @Test func encodeThroughputIsReported() throws {
        let (fixture, tokenizer) = try TokenizerFixture.load("qwen_bytelevel")
        let text = String(repeating: fixture.cases.map(\.text).joined(separator: " "), count: 20)
        let start = Date()
        let ids = tokenizer.encode(text)
        let seconds = Date().timeIntervalSince(start)
        #expect(try tokenizer.decode(ids) == text)
        print("tokenizer encode (debug build): \(String(format: "%.2f", Double(text.utf8.count) / 1e6 / seconds)) MB/s")
    }
}

/// The test bundle lacks its Fixtures folder (a packaging error, not a tokenizer one).
struct TokenizerFixtureError: Error, CustomStringConvertible {
    var description: String { "no Fixtures folder in the test bundle" }
}
