import Foundation
import Testing
import SwitchyardModel

@Suite struct TokenizerDataTests {
    @Test func fixtureTokenizer() throws {
        let f = try GGUFFile(path: GGUFFixtures.tinyPath)
        let t = try GGUFTokenizerData(metadata: f.metadata)
        let e = GGUFFixtures.tiny()["tokenizer"] as! [String: Any]
        #expect(t.model == .gpt2 && t.pre == "smollm")
        #expect(t.tokens == e["tokens"] as! [String])
        #expect(t.scores == (e["scores"] as! [Double]).map { Float($0) })
        #expect(t.tokenTypes == (e["token_type"] as! [Int]).map { Int32($0) })
        #expect(t.merges == e["merges"] as! [String])
        #expect(t.bosTokenID == 1 && t.eosTokenID == 2 && t.unknownTokenID == 0 && t.paddingTokenID == 2)
        #expect(t.addBOSToken == false && t.addEOSToken == false)
        #expect(t.chatTemplate == e["chat_template"] as? String)
        #expect(t.namedChatTemplates == ["tool_use": "TOOLS {{ tools }}"])
    }

    func variant(_ change: (inout [String: GGUFMetadataValue]) -> Void) throws -> GGUFMetadata {
        let m = try GGUFFile(path: GGUFFixtures.tinyPath).metadata
        var values = m.values
        change(&values)
        return GGUFMetadata(file: m.file, keys: m.keys.filter { values[$0] != nil }, values: values)
    }

    func expectKind(_ kind: GGUFError.Kind, key: String, _ m: GGUFMetadata) {
        #expect { try GGUFTokenizerData(metadata: m) } throws: { e in
            guard let e = e as? GGUFError else { return false }
            return e.kind == kind && e.key == key && e.description.contains(key)
        }
    }

    @Test func validation() throws {
        expectKind(.unsupportedTokenizerModel, key: "tokenizer.ggml.model",
                   try variant { $0["tokenizer.ggml.model"] = .string("bert") })
        expectKind(.invalidTokenizerData, key: "tokenizer.ggml.scores",
                   try variant { $0["tokenizer.ggml.scores"] = .array(elementType: .float32, values: [.float32(0)]) })
        expectKind(.invalidTokenizerData, key: "tokenizer.ggml.token_type",
                   try variant { $0["tokenizer.ggml.token_type"] = .array(elementType: .int32, values: [.int32(1)]) })
        expectKind(.invalidTokenizerData, key: "tokenizer.ggml.eos_token_id",
                   try variant { $0["tokenizer.ggml.eos_token_id"] = .uint32(10) })
        expectKind(.invalidTokenizerData, key: "tokenizer.ggml.merges",
                   try variant { $0["tokenizer.ggml.merges"] = nil })
        expectKind(.invalidTokenizerData, key: "tokenizer.ggml.merges",
                   try variant { $0["tokenizer.ggml.merges"] = .array(elementType: .string, values: [.string("ab")]) })
        expectKind(.missingKey, key: "tokenizer.ggml.tokens", try variant { $0["tokenizer.ggml.tokens"] = nil })
        expectKind(.wrongValueType, key: "tokenizer.ggml.tokens",
                   try variant { $0["tokenizer.ggml.tokens"] = .uint32(3) })
        // llama (SentencePiece) model does not need merges.
        let spm = try variant { $0["tokenizer.ggml.model"] = .string("llama"); $0["tokenizer.ggml.merges"] = nil }
        #expect(try GGUFTokenizerData(metadata: spm).model == .llama)
    }
}
