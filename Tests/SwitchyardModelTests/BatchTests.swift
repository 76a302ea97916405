import Foundation
import Testing
import SwitchyardTensor
@testable import SwitchyardModel

@Suite("Batched decode of sequences of different lengths")
struct BatchTests {
    init() { BLAS.setThreads(1) }

    @Test("a batch of different-length prompts decoded together equals each alone", arguments: TestModels.names)
    func batchEqualsAlone(name: String) async throws {
        let engine = try TestModels.engine(name)
        let config = engine.config
        let lengths = [1, 6, 3, 11]
        let prompts = lengths.enumerated().map { TestModels.prompt($0.element, seed: UInt64(40 + $0.offset), vocab: config.vocabSize) }
        let steps = 5

        // Together: one forward per step for all sequences, logits recorded per step.
        let caches = prompts.map { _ in KVCache(config: config, capacity: 20) }
        var inputs = zip(caches, prompts).map { EngineInput(cache: $0, tokens: $1) }
        var together: [[[Float]]] = Array(repeating: [], count: prompts.count)
        for _ in 0..<steps {
            let logits = try await engine.forward(inputs)
            for b in prompts.indices {
                let row = TestModels.row(logits, b)
                together[b].append(row)
                inputs[b].tokens = [Int32(VectorOps.argmax(row, count: row.count))]
            }
        }
        // Alone.
        for b in prompts.indices {
            let cache = KVCache(config: config, capacity: 20)
            var tokens = prompts[b]
            for step in 0..<steps {
                let row = TestModels.row(try await engine.forward([EngineInput(cache: cache, tokens: tokens)]), 0)
                #expect(TestModels.maxDifference(row, together[b][step]) < 1e-4, "sequence \(b) step \(step)")
                let greedy = VectorOps.argmax(row, count: row.count)
                #expect(greedy == VectorOps.argmax(together[b][step], count: row.count))
                tokens = [Int32(greedy)]
            }
        }
    }

    /// One sequence with a context past `Engine.headSplitContext` on two threads: its decode
    /// attention splits the heads over the threads, and the logits are those of one thread, bit for bit.
    @Test("a long-context decode split over heads on two threads equals one thread", arguments: TestModels.names)
    func headSplitDecodeEqualsOneThread(name: String) async throws {
        var config = TestModels.config(name)
        config.maxPositionEmbeddings = 256
        let prompt = TestModels.prompt(Engine.headSplitContext + 12, seed: 77, vocab: config.vocabSize)
        func decode(threads: Int) async throws -> [[Float]] {
            let engine = try Engine.synthetic(config: config, seed: 3)
            engine.threads = threads
            let cache = KVCache(config: config, capacity: 200)
            var tokens = prompt
            var steps: [[Float]] = []
            for _ in 0..<3 {
                let row = TestModels.row(try await engine.forward([EngineInput(cache: cache, tokens: tokens)]), 0)
                steps.append(row)
                tokens = [Int32(VectorOps.argmax(row, count: row.count))]
            }
            return steps
        }
        let one = try await decode(threads: 1)
        let two = try await decode(threads: 2)
        #expect(one == two)
    }

    @Test("mixed step: one sequence prefills while others decode")
    func mixedPrefillAndDecode() async throws {
        let engine = try TestModels.engine("qwen3_moe")
        let config = engine.config
        let a = KVCache(config: config, capacity: 16)
        _ = try await engine.forward([EngineInput(cache: a, tokens: [1, 2, 3])])
        let b = KVCache(config: config, capacity: 16)
        let mixed = try await engine.forward([EngineInput(cache: a, tokens: [4]), EngineInput(cache: b, tokens: [7, 8, 9, 10])])
        let rowA = TestModels.row(mixed, 0)
        let rowB = TestModels.row(mixed, 1)
        let a2 = KVCache(config: config, capacity: 16)
        let aloneA = TestModels.row(try await engine.forward([EngineInput(cache: a2, tokens: [1, 2, 3, 4])]), 0)
        let b2 = KVCache(config: config, capacity: 16)
        let aloneB = TestModels.row(try await engine.forward([EngineInput(cache: b2, tokens: [7, 8, 9, 10])]), 0)
        #expect(TestModels.maxDifference(rowA, aloneA) < 1e-4)
        #expect(TestModels.maxDifference(rowB, aloneB) < 1e-4)
    }

    @Test("generateBatch gives each sequence the tokens it gets alone")
    func generateBatch() async throws {
        let engine = try TestModels.engine("olmoe")
        let generator = Generator(engine: engine)
        let prompts: [[Int32]] = [[1], [4, 5, 6, 7, 8], [9, 10]]
        let batch = try await generator.generateBatch(prompts: prompts, maxTokens: 6, stopTokenIDs: [])
        for (b, prompt) in prompts.enumerated() {
            let alone = try await generator.generate(prompt: prompt, maxTokens: 6, stopTokenIDs: [])
            #expect(batch[b].tokenIDs == alone.tokenIDs)
            #expect(TestModels.maxDifference(batch[b].logprobs, alone.logprobs) < 1e-4)
        }
    }
}
