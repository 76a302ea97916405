import Foundation
import Testing
import SwitchyardTensor
@testable import SwitchyardModel

/// The real SmolLM2-135M-Instruct Q4_1 GGUF (`SWITCHYARD_SMOLLM2_GGUF`, see scripts/fetch-smollm2.sh)
/// decoded greedily by the engine against the references in GGUFFixtures/smollm2_expected.json
/// (scripts/make_smollm2_refs.py: transformers on the same file dequantized to f32, and llama.cpp).
///
/// The engine dequantizes the blocks to f32 exactly as transformers does, so it is held to
/// transformers' tokens (up to the first near-tie) and log-probs; llama.cpp quantizes activations
/// to 8 bits in its Q4_1 matmuls and drifts from both, so its agreement is printed, not asserted.
@Suite struct SmolLM2EngineTests {
    struct Expected: Decodable {
        struct Generation: Decodable {
            var name: String
            var prompt_ids: [Int32]
            var transformers_ids: [Int32]
            var transformers_logprobs: [Double]
            var transformers_margins: [Double]
            var llamacpp_ids: [Int32]
        }
        var generations: [Generation]
    }

    @Test(.enabled(if: smolLM2Path != nil, "set SWITCHYARD_SMOLLM2_GGUF to SmolLM2-135M-Instruct.Q4_1.gguf"))
    func greedyTokensMatchTransformers() async throws {
        BLAS.setThreads(1)
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: GGUFFixtures.path("smollm2_expected.json"))))
        let engine = try Engine.load(directory: URL(fileURLWithPath: try #require(smolLM2Path)))
        #expect(engine.config.family == .llama && engine.config.tieWordEmbeddings)
        for generation in expected.generations {
            let steps = generation.transformers_ids.count
            let cache = KVCache(config: engine.config, capacity: generation.prompt_ids.count + steps + 1)
            var logits = try await engine.forward([EngineInput(cache: cache, tokens: generation.prompt_ids)])
            var ours: [Int32] = []
            var worst = 0.0
            for step in 0..<steps {
                let row = UnsafeBufferPointer(start: logits.row(0), count: logits.cols)
                let token = Int32(VectorOps.argmax(row.baseAddress!, count: row.count))
                ours.append(token)
                // Teacher-forced: log-prob of transformers' token at its own prefix.
                let reference = generation.transformers_ids[step]
                worst = max(worst, abs(Double(LogSoftmax.logprob(of: Int(reference), row)) - generation.transformers_logprobs[step]))
                logits = try await engine.forward([EngineInput(cache: cache, tokens: [reference])])
            }
            let firstTie = generation.transformers_margins.firstIndex { $0 < 0.05 } ?? steps
            #expect(Array(ours.prefix(firstTie)) == Array(generation.transformers_ids.prefix(firstTie)), "\(generation.name)")
            #expect(worst < 0.02, "\(generation.name): max |Δ logprob| vs transformers \(worst)")
            let llamaPrefix = zip(ours, generation.llamacpp_ids).prefix { $0 == $1 }.count
            let hfPrefix = zip(ours, generation.transformers_ids).prefix { $0 == $1 }.count
            print("SmolLM2 \(generation.name): teacher-forced tokens equal transformers' for \(hfPrefix)/\(steps), llama.cpp's free-running greedy for \(llamaPrefix)/\(steps); max |Δ logprob| vs transformers \(worst)")
        }
    }

    @Test(.enabled(if: smolLM2Path != nil, "set SWITCHYARD_SMOLLM2_GGUF to SmolLM2-135M-Instruct.Q4_1.gguf"))
    func autoKeepsTheFileSizeInMemory() throws {
        let url = URL(fileURLWithPath: try #require(smolLM2Path))
        let engine = try Engine.load(directory: url)
        let experts = try #require(engine.experts as? LocalExpertBackend)
        let held = engine.weights.byteCount + experts.byteCount
        let file = try Checkpoint(directory: url, config: engine.config).fileBytes
        print("SmolLM2 Q4_1 kept as stored: \(held) bytes of weights for a \(file)-byte file")
        // f32 would be about 4.5x the file (540 MB); the norms are f32 in the file already.
        #expect(held <= file * 11 / 10)
        #expect(engine.weights.layers[0].qkv.format == .q4_1)
    }
}
