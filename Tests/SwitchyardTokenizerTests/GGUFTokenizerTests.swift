import Foundation
import Testing
@testable import SwitchyardTokenizer
import SwitchyardModel

/// Tokenizers read from GGUF metadata (`Tokenizer.load(gguf:)`).
@Suite("GGUF tokenizers")
struct GGUFTokenizerTests {
    static let ggufFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SwitchyardModelTests/GGUFFixtures")

    @Test func tinyByteLevelBPEWithAddedTokens() throws {
        let url = Self.ggufFixtures.appendingPathComponent("tiny_moe.gguf")
        #expect(Tokenizer.exists(in: url))
        let tokenizer = try Tokenizer.load(directory: url)
        #expect(tokenizer.encode("abc") == [8])
        #expect(tokenizer.encode("<|im_start|>ab") == [9, 6])
        #expect(tokenizer.encode("abc", addSpecialTokens: true) == [8])  // add_bos_token false
        #expect(tokenizer.bosTokenID == 1 && tokenizer.eosTokenID == 2)
        #expect(tokenizer.isSpecial(1) && !tokenizer.isSpecial(9))
        #expect(try Tokenizer.chatTemplate(gguf: GGUFModelFiles(path: url.path))?.contains("im_start") == true)
    }

    struct SentencePieceExpected: Decodable {
        struct Case: Decodable { var text: String; var ids: [Int32]; var ids_with_special: [Int32]; var decoded: String }
        var cases: [Case]
    }

    /// spm_llama.gguf (scripts/make_gguf_spm_fixture.py): a SentencePiece BPE vocabulary with byte
    /// fallback and user-defined pieces, written as llama.cpp's converter writes one; the ids are
    /// transformers' for the same file.
    @Test func sentencePieceIdsEqualTransformers() throws {
        let url = Self.ggufFixtures.appendingPathComponent("spm_llama.gguf")
        let expected = try JSONDecoder().decode(SentencePieceExpected.self,
            from: Data(contentsOf: Self.ggufFixtures.appendingPathComponent("spm_llama.json")))
        let tokenizer = try Tokenizer.load(directory: url)
        #expect(tokenizer.bosTokenID == 1 && tokenizer.eosTokenID == 2)
        #expect(expected.cases.contains { $0.ids.contains { (5...260).contains($0) } }, "byte fallback is exercised")
        for fixture in expected.cases {
            #expect(tokenizer.encode(fixture.text) == fixture.ids, "\(fixture.text.debugDescription)")
            #expect(tokenizer.encode(fixture.text, addSpecialTokens: true) == fixture.ids_with_special, "\(fixture.text.debugDescription) with BOS")
            #expect(try tokenizer.decode(fixture.ids) == fixture.decoded, "\(fixture.text.debugDescription) decoded")
        }
    }

    @Test func sentencePieceMergesFollowScoresThenLengthsThenFileOrder() {
        // "ab" (score -1) merges before "bc" (-2); "abc" is cut as "ab"+"c" and "a"+"bc", same score:
        // the longer left part first.
        let tokens = ["a", "b", "c", "bc", "ab", "abc"]
        let merges = GGUFSentencePieceMerges.merges(tokens: tokens, scores: [0, 0, 0, -2, -1, -3])
        #expect(merges.map { "\($0.0) \($0.1)" } == ["a b", "b c", "ab c", "a bc"])
    }

    @Test func unknownPreTokenizerIsAnErrorNotAFallback() {
        #expect { try GGUFPreTokenizer.steps(named: "bogus-pre", path: "x.gguf") } throws: { "\($0)".contains("bogus-pre") }
        for name in GGUFPreTokenizer.supported {
            #expect(throws: Never.self) { try GGUFPreTokenizer.steps(named: name, path: "x.gguf") }
        }
    }

    @Test func aGGUFWithoutTokenizerHasNone() {
        #expect(!Tokenizer.exists(in: Self.ggufFixtures.appendingPathComponent("mixtral_basic.gguf")))
    }

    struct SmolLM2Expected: Decodable {
        struct Case: Decodable { var name: String; var text: String; var ids: [Int32]; var ids_add_special: [Int32] }
        var tokenizer: [Case]
    }

    static let smolLM2: String? = {
        guard let path = ProcessInfo.processInfo.environment["SWITCHYARD_SMOLLM2_GGUF"], FileManager.default.fileExists(atPath: path) else {
            print("SmolLM2 tokenizer test skipped: SWITCHYARD_SMOLLM2_GGUF is not set to an existing file")
            return nil
        }
        return path
    }()

    @Test(.enabled(if: smolLM2 != nil, "set SWITCHYARD_SMOLLM2_GGUF to SmolLM2-135M-Instruct.Q4_1.gguf"))
    func smolLM2IdsEqualTransformers() throws {
        let expected = try JSONDecoder().decode(SmolLM2Expected.self,
            from: Data(contentsOf: Self.ggufFixtures.appendingPathComponent("smollm2_expected.json")))
        let tokenizer = try Tokenizer.load(directory: URL(fileURLWithPath: try #require(Self.smolLM2)))
        for fixture in expected.tokenizer {
            #expect(tokenizer.encode(fixture.text) == fixture.ids, "\(fixture.name)")
            #expect(tokenizer.encode(fixture.text, addSpecialTokens: true) == fixture.ids_add_special, "\(fixture.name) with special tokens")
        }
    }
}
