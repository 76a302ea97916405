import Foundation
import Testing
@testable import SwitchyardModel

/// One tokenizer fixture of `scripts/make_tokenizer_fixtures.py`.
struct TokenizerFixture: Decodable {
    struct Case: Decodable {
        var text: String
        var ids: [Int32]
        var idsWithSpecial: [Int32]
        var decoded: String

        enum CodingKeys: String, CodingKey {
            case text, ids, decoded
            case idsWithSpecial = "ids_with_special"
        }
    }

    var name: String
    var cases: [Case]

    static let names = ["gpt2_bytelevel", "qwen_bytelevel"]

    static func directory(_ name: String) throws -> URL {
        guard let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw GoldenFixtureError("no Fixtures folder in the test bundle")
        }
        return root.appendingPathComponent("tokenizers").appendingPathComponent(name)
    }

    static func load(_ name: String) throws -> (TokenizerFixture, Tokenizer) {
        let directory = try directory(name)
        let fixture = try JSONDecoder().decode(TokenizerFixture.self, from: Data(contentsOf: directory.appendingPathComponent("cases.json")))
        return (fixture, try Tokenizer.load(directory: directory))
    }
}

@Suite("Tokenizer (byte-level BPE)")
struct TokenizerTests {
    @Test(arguments: TokenizerFixture.names)
    func idsMatchTheTokenizersPackage(name: String) throws {
        let (fixture, tokenizer) = try TokenizerFixture.load(name)
        #expect(fixture.cases.count >= 20)
        for testCase in fixture.cases {
            #expect(tokenizer.encode(testCase.text) == testCase.ids, "\(name): \(testCase.text.debugDescription)")
            #expect(tokenizer.encode(testCase.text, addSpecialTokens: true) == testCase.idsWithSpecial, "\(name): \(testCase.text.debugDescription)")
            #expect(try tokenizer.decode(testCase.ids) == testCase.decoded)
            #expect(try tokenizer.decode(testCase.ids) == testCase.text, "round trip of \(testCase.text.debugDescription)")
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

    @Test func streamingDecodeNeverSplitsACharacter() throws {
        let (fixture, tokenizer) = try TokenizerFixture.load("gpt2_bytelevel")
        for testCase in fixture.cases {
            var stream = TokenizerStreamDecoder(tokenizer: tokenizer, skipSpecialTokens: false)
            var text = ""
            for id in testCase.ids {
                let piece = stream.next(id)
                #expect(!piece.contains("\u{FFFD}"), "\(testCase.text.debugDescription)")
                text += piece
            }
            text += stream.finish()
            #expect(text == testCase.text)
        }
    }

    @Test func utf8Boundaries() {
        #expect(UTF8Boundary.completePrefixLength(Array("ab".utf8)) == 2)
        let euro = Array("€".utf8)  // 3 bytes
        #expect(UTF8Boundary.completePrefixLength([0x61] + euro.prefix(1)) == 1)
        #expect(UTF8Boundary.completePrefixLength([0x61] + euro.prefix(2)) == 1)
        #expect(UTF8Boundary.completePrefixLength([0x61] + euro) == 4)
        let emoji = Array("👍".utf8)  // 4 bytes
        #expect(UTF8Boundary.completePrefixLength(Array(emoji.prefix(3))) == 0)
        #expect(UTF8Boundary.completePrefixLength([0x80, 0x80]) == 2)  // stray continuations: emit (U+FFFD)
        #expect(UTF8Boundary.completePrefixLength([0xFF]) == 1)
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
