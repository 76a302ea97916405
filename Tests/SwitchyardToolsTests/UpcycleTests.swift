import Foundation
import Testing
import SwitchyardModel
import SwitchyardTensor
import SwitchyardTools
import TestSupport

/// `upcycle` on the tiny dense fixture: the bytes transformers verified, the engine's outputs on
/// the upcycled models against transformers' on the dense one, and the refusals.
@Suite("upcycle")
struct UpcycleTests {
    init() { BLAS.setThreads(1) }

    /// Upcycles the dense fixture as `variant` into a fresh directory.
    static func upcycle(_ variant: (name: String, mode: UpcycleOptions.Mode, experts: Int, topK: Int), into directory: URL) throws -> Upcycler.Summary {
        let source = try SafetensorsDenseSource(directory: UpcycleFixture.denseDirectory)
        let options = UpcycleOptions(mode: variant.mode, experts: variant.experts, topK: variant.topK, seed: UpcycleFixture.seed)
        return try Upcycler.run(source: source, options: options, to: directory)
    }

    /// The engine's last-position log-probs and teacher-forced greedy steps on `directory`, against `prompts`.
    static func compareEngine(directory: URL, prompts: [UpcycleFixture.Prompt], tolerance: Double, label: String) async throws {
        let engine = try Engine.load(directory: directory)
        for (index, prompt) in prompts.enumerated() {
            let steps = prompt.greedyTokenIDs.count
            let cache = KVCache(config: engine.config, capacity: prompt.tokenIDs.count + steps)
            var logits = try await engine.forward([EngineInput(cache: cache, tokens: prompt.tokenIDs)])
            var ours = [Float](repeating: 0, count: logits.cols)
            LogSoftmax.compute(UnsafeBufferPointer(start: logits.row(0), count: logits.cols), into: &ours)
            let worst = zip(ours, prompt.lastLogprobs).map { abs(Double($0) - $1) }.max() ?? .infinity
            #expect(worst < tolerance, "\(label) prompt \(index): max |Δ logprob| \(worst)")
            for step in 0..<steps {
                let row = UnsafeBufferPointer(start: logits.row(0), count: logits.cols)
                let expected = prompt.greedyTokenIDs[step]
                if prompt.greedyMargins[step] >= 1e-3 {
                    #expect(Int32(VectorOps.argmax(row.baseAddress!, count: row.count)) == expected, "\(label) prompt \(index) step \(step)")
                }
                let logprob = Double(LogSoftmax.logprob(of: Int(expected), row))
                #expect(abs(logprob - prompt.greedyLogprobs[step]) < tolerance,
                        "\(label) prompt \(index) step \(step): \(logprob) vs \(prompt.greedyLogprobs[step])")
                if step + 1 < steps {
                    logits = try await engine.forward([EngineInput(cache: cache, tokens: [expected])])
                }
            }
        }
    }

    @Test("every variant writes exactly the bytes transformers loaded and verified", arguments: UpcycleFixture.variants.map(\.name))
    func bytesMatchVerified(name: String) throws {
        let variant = try #require(UpcycleFixture.variants.first { $0.name == name })
        let output = try TemporaryDirectory()
        let summary = try Self.upcycle(variant, into: output.url)
        let verified = try UpcycleFixture.verification(name)
        #expect(try UpcycleFixture.fnv1a64(UpcycleFixture.safetensors(in: output.url)) == verified.safetensorsFNV1a64)
        #expect(verified.architecture == "MixtralForCausalLM")
        #expect(summary.experts == variant.experts && summary.topK == variant.topK)
        #expect(summary.files.map(\.name).contains("model.safetensors"))
        let config = try ModelConfig.load(directory: output.url)
        #expect(config.family == .mixtral && config.numExperts == variant.experts && config.topK == variant.topK)
        #expect(config.intermediateSize == (variant.mode == .copy ? 128 : 128 / variant.experts))
    }

    @Test("copy: transformers found the upcycled model equal to the dense one, with tokens spread over experts")
    func copyVerifiedByTransformers() throws {
        let verified = try UpcycleFixture.verification("copy_e4_k2")
        #expect(verified.maxDiffF32 < 1e-4, "float32 max |Δ logprob| \(verified.maxDiffF32)")
        // The router renormalises its top-k weights in float32 even in a float64 model: ~1e-7.
        #expect(verified.maxDiffF64 < 1e-5, "float64 max |Δ logprob| \(verified.maxDiffF64)")
        #expect(verified.greedyEqualToDense)
        for (layer, counts) in verified.expertCountsPerLayer.enumerated() {
            #expect(counts.filter { $0 > 0 }.count == counts.count, "layer \(layer): every expert picked by some token, counts \(counts)")
            #expect((counts.max() ?? 0) < counts.reduce(0, +) / 2, "layer \(layer): no expert takes half the picks, counts \(counts)")
        }
    }

    @Test("split with top-k = experts: transformers found it equal to the dense model")
    func splitAllExpertsVerifiedByTransformers() throws {
        let verified = try UpcycleFixture.verification("split_e4_k4")
        #expect(verified.maxDiffF32 < 1e-4, "float32 max |Δ logprob| \(verified.maxDiffF32)")
        #expect(verified.maxDiffF64 < 1e-10, "float64 max |Δ logprob| \(verified.maxDiffF64)")
        #expect(verified.greedyEqualToDense)
    }

    @Test("engine on the copy-upcycled model: log-probs and greedy tokens of the dense model (1e-4)")
    func engineCopyEqualsDense() async throws {
        let output = try TemporaryDirectory()
        _ = try Self.upcycle(UpcycleFixture.variants[0], into: output.url)
        try await Self.compareEngine(directory: output.url, prompts: UpcycleFixture.dense().prompts, tolerance: 1e-4, label: "copy")
    }

    @Test("engine on the split model with top-k = experts: log-probs and greedy tokens of the dense model (1e-4)")
    func engineSplitAllExpertsEqualsDense() async throws {
        let output = try TemporaryDirectory()
        _ = try Self.upcycle(UpcycleFixture.variants[1], into: output.url)
        try await Self.compareEngine(directory: output.url, prompts: UpcycleFixture.dense().prompts, tolerance: 1e-4, label: "split k=E")
    }

    @Test("engine on the split model with top-k < experts agrees with transformers on it (1e-4)")
    func engineSplitTopKMatchesTransformers() async throws {
        let output = try TemporaryDirectory()
        _ = try Self.upcycle(UpcycleFixture.variants[2], into: output.url)
        let verified = try UpcycleFixture.verification("split_e4_k2")
        #expect(verified.architecture == "MixtralForCausalLM")
        try await Self.compareEngine(directory: output.url, prompts: verified.prompts, tolerance: 1e-4, label: "split k<E")
    }

    @Test("refuses a split that does not divide the FFN, top-k above experts, and fewer than 2 experts")
    func refusesBadFlags() throws {
        let output = try TemporaryDirectory()
        let source = try SafetensorsDenseSource(directory: UpcycleFixture.denseDirectory)
        for (options, phrase) in [
            (UpcycleOptions(mode: .split, experts: 3, topK: 1), "multiple of --experts"),
            (UpcycleOptions(mode: .copy, experts: 4, topK: 5), "--top-k must be between 1 and --experts"),
            (UpcycleOptions(mode: .copy, experts: 1, topK: 1), "--experts must be at least 2"),
        ] {
            #expect { try Upcycler.run(source: source, options: options, to: output.url) } throws: { error in
                "\(error)".contains(phrase)
            }
        }
        #expect(!FileManager.default.fileExists(atPath: output.url.appendingPathComponent("config.json").path), "nothing written")
    }

    @Test("refuses a model that is already MoE, and one that is not Llama-style")
    func refusesNonDenseModels() throws {
        let directory = try TemporaryDirectory()
        for (config, phrase) in [
            (#"{"model_type": "mixtral", "num_local_experts": 8}"#, "already a Mixture-of-Experts"),
            (#"{"model_type": "llama", "num_local_experts": 8}"#, "already a Mixture-of-Experts"),
            (#"{"model_type": "gpt2"}"#, "not a dense Llama-style model"),
            (#"{"model_type": "llama", "attention_bias": true, "hidden_size": 8}"#, "biases"),
        ] {
            try Data(config.utf8).write(to: directory.url.appendingPathComponent("config.json"))
            #expect { try SafetensorsDenseSource(directory: directory.url) } throws: { error in
                "\(error)".contains(phrase)
            }
        }
    }
}
