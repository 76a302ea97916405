import Foundation
import Testing
import SwitchyardTensor
@testable import SwitchyardModel

@Suite("Engine forward pass")
struct EngineTests {
    init() { BLAS.setThreads(1) }

    @Test("prefill of a whole prompt equals feeding it token by token (every family)", arguments: TestModels.names)
    func prefillEqualsDecode(name: String) async throws {
        let engine = try TestModels.engine(name)
        let config = engine.config
        let prompt = TestModels.prompt(9, seed: 11, vocab: config.vocabSize)
        let a = KVCache(config: config, capacity: 16)
        let prefill = TestModels.row(try await engine.forward([EngineInput(cache: a, tokens: prompt)]), 0)
        #expect(a.length == 9)

        let b = KVCache(config: config, capacity: 16)
        var last: [Float] = []
        for token in prompt {
            last = TestModels.row(try await engine.forward([EngineInput(cache: b, tokens: [token])]), 0)
        }
        #expect(b.length == 9)
        #expect(TestModels.maxDifference(prefill, last) < 1e-4)
        #expect(prefill.allSatisfy { $0.isFinite })
        // Logits should be spread (a degenerate model would make these tests vacuous).
        #expect((prefill.max()! - prefill.min()!) > 0.5)

        // Continue both caches with one more token: still equal.
        let next: Int32 = 5
        let c1 = TestModels.row(try await engine.forward([EngineInput(cache: a, tokens: [next])]), 0)
        let c2 = TestModels.row(try await engine.forward([EngineInput(cache: b, tokens: [next])]), 0)
        #expect(TestModels.maxDifference(c1, c2) < 1e-4)
    }

    @Test("a prompt split into chunks gives the same logits as one prefill")
    func chunkedPrefill() async throws {
        let engine = try TestModels.engine("qwen2_moe")
        let config = engine.config
        let prompt = TestModels.prompt(12, seed: 5, vocab: config.vocabSize)
        let a = KVCache(config: config, capacity: 12)
        let whole = TestModels.row(try await engine.forward([EngineInput(cache: a, tokens: prompt)]), 0)
        let b = KVCache(config: config, capacity: 12)
        _ = try await engine.forward([EngineInput(cache: b, tokens: Array(prompt[0..<5]))])
        let chunked = TestModels.row(try await engine.forward([EngineInput(cache: b, tokens: Array(prompt[5...]))]), 0)
        #expect(TestModels.maxDifference(whole, chunked) < 1e-4)
    }

    @Test("the sliding window changes outputs once the prompt is longer than the window")
    func slidingWindowMatters() async throws {
        let full = try TestModels.engine("mixtral")
        let sliding = try TestModels.engine("mixtral-sliding")
        let prompt = TestModels.prompt(8, seed: 2, vocab: 61)
        let short = Array(prompt.prefix(3))
        func logits(_ e: Engine, _ p: [Int32]) async throws -> [Float] {
            TestModels.row(try await e.forward([EngineInput(cache: KVCache(config: e.config, capacity: 8), tokens: p)]), 0)
        }
        #expect(TestModels.maxDifference(try await logits(full, short), try await logits(sliding, short)) < 1e-5)
        #expect(TestModels.maxDifference(try await logits(full, prompt), try await logits(sliding, prompt)) > 1e-3)
    }

    @Test("two micro-batches give the same logits as one", arguments: ["mixtral", "qwen2_moe"])
    func microBatches(name: String) async throws {
        let one = try TestModels.engine(name, microBatches: 1)
        let two = try TestModels.engine(name, microBatches: 2)
        let config = one.config
        let prompts = [3, 7, 1, 5].enumerated().map { TestModels.prompt($0.element, seed: UInt64($0.offset), vocab: config.vocabSize) }
        let c1 = prompts.map { _ in KVCache(config: config, capacity: 8) }
        let c2 = prompts.map { _ in KVCache(config: config, capacity: 8) }
        let l1 = try await one.forward(zip(c1, prompts).map { EngineInput(cache: $0, tokens: $1) })
        let r1 = (0..<4).map { TestModels.row(l1, $0) }
        let l2 = try await two.forward(zip(c2, prompts).map { EngineInput(cache: $0, tokens: $1) })
        for b in 0..<4 { #expect(TestModels.maxDifference(r1[b], TestModels.row(l2, b)) < 1e-5) }
    }

    @Test("bad inputs throw clear errors and leave every cache where it was")
    func badInputs() async throws {
        let engine = try TestModels.engine("mixtral")
        let config = engine.config
        let cache = KVCache(config: config, capacity: 4)
        let other = KVCache(config: config, capacity: 4)
        await #expect(throws: EngineError.tokenOutOfRange(token: 61, vocabSize: 61)) {
            try await engine.forward([EngineInput(cache: other, tokens: [1]), EngineInput(cache: cache, tokens: [1, 61])])
        }
        await #expect(throws: EngineError.tokenOutOfRange(token: -1, vocabSize: 61)) {
            try await engine.forward([EngineInput(cache: cache, tokens: [-1])])
        }
        await #expect(throws: EngineError.cacheFull(length: 0, adding: 5, capacity: 4)) {
            try await engine.forward([EngineInput(cache: cache, tokens: [1, 2, 3, 4, 5])])
        }
        await #expect(throws: EngineError.emptyInput(index: 0)) {
            try await engine.forward([EngineInput(cache: cache, tokens: [])])
        }
        await #expect(throws: EngineError.duplicateCache(index: 1)) {
            try await engine.forward([EngineInput(cache: cache, tokens: [1]), EngineInput(cache: cache, tokens: [2])])
        }
        let long = KVCache(config: config, capacity: 100)
        await #expect(throws: EngineError.contextTooLong(positions: 65, limit: 64)) {
            try await engine.forward([EngineInput(cache: long, tokens: [Int32](repeating: 1, count: 65))])
        }
        var otherShape = config
        otherShape.numLayers = 3
        await #expect(throws: EngineError.self) {
            try await engine.forward([EngineInput(cache: KVCache(config: otherShape, capacity: 4), tokens: [1])])
        }
        #expect(cache.length == 0 && other.length == 0)
        let logits = try await engine.forward([])
        #expect(logits.rows == 0)
    }

    @Test("a failing backend leaves caches unadvanced; the engine works again afterwards")
    func backendFailure() async throws {
        let config = TestModels.config("mixtral")
        let weights = try BackboneWeights.random(config: config, seed: 1)
        let partial = try LocalExpertBackend.random(config: config, seed: 2, experts: [ExpertKey(layer: 0, expert: 0)])
        let engine = Engine(config: config, weights: weights, experts: partial)
        let cache = KVCache(config: config, capacity: 8)
        await #expect(throws: EngineError.self) {
            try await engine.forward([EngineInput(cache: cache, tokens: [1, 2, 3])])
        }
        #expect(cache.length == 0)
    }

    @Test("traffic counts tokens per layer and expert, and the layer calls each expert had work in")
    func trafficCounts() async throws {
        let engine = try TestModels.engine("qwen2_moe")
        let cache = KVCache(config: engine.config, capacity: 8)
        _ = try await engine.forward([EngineInput(cache: cache, tokens: [1, 2, 3, 4])])
        let counts = engine.traffic.snapshot()
        #expect(counts.layers == 3 && counts.experts == 7)  // 6 routed + shared
        #expect(counts.tokens(layer: 0, expert: 0) == 4)     // dense layer: every row to id 0
        #expect((0..<7).map { counts.tokens(layer: 1, expert: $0) }.reduce(0, +) == 4 * 3) // top-2 + shared per row
        #expect(counts.tokens(layer: 1, expert: 6) == 4)
        #expect((0..<7).allSatisfy { counts.calls(layer: 1, expert: $0) == (counts.tokens(layer: 1, expert: $0) > 0 ? 1 : 0) })
        _ = try await engine.forward([EngineInput(cache: cache, tokens: [5])])
        let after = engine.traffic.snapshot()
        #expect(after.tokens(layer: 0, expert: 0) == 5 && after.calls(layer: 0, expert: 0) == 2)
    }

    @Test("KV cache size arithmetic and reset")
    func cacheBasics() {
        let config = TestModels.config("mixtral")
        #expect(KVCache.bytesPerToken(config) == 2 * 2 * 2 * 8 * 4)
        let cache = KVCache(config: config, capacity: 10)
        #expect(cache.byteCount == 10 * KVCache.bytesPerToken(config))
        cache.length = 4
        cache.truncate(to: 2)
        #expect(cache.length == 2)
        cache.reset()
        #expect(cache.length == 0)
    }

    @Test("weights with wrong shapes are rejected with the tensor's name")
    func weightShapes() throws {
        let config = TestModels.config("mixtral")
        let good = try BackboneWeights.random(config: config, seed: 1)
        #expect(throws: EngineError.weightShape(name: "lm_head.weight", expected: [61, 32], actual: [60, 32])) {
            try BackboneWeights(config: config, embed: good.embed.unpacked(), layers: good.layers, finalNorm: good.finalNorm,
                              head: Matrix(rows: 60, cols: 32))
        }
        let w = good.layers[0]
        #expect(throws: EngineError.self) {
            try BackboneWeights.Layer(config: config, layer: 0, inputNorm: w.inputNorm, q: Matrix(rows: 32, cols: 31),
                                    k: Matrix(rows: 16, cols: 32), v: Matrix(rows: 16, cols: 32), o: w.o.unpacked(),
                                    postNorm: w.postNorm, gate: w.gate?.unpacked())
        }
        #expect(throws: EngineError.missingWeight("model.layers.0.mlp.gate.weight")) {
            try BackboneWeights.Layer(config: config, layer: 0, inputNorm: w.inputNorm, q: Matrix(rows: 32, cols: 32),
                                    k: Matrix(rows: 16, cols: 32), v: Matrix(rows: 16, cols: 32), o: w.o.unpacked(),
                                    postNorm: w.postNorm, gate: nil)
        }
        // Packed projections, as a checkpoint loads them, are checked as fused weights.
        #expect(throws: EngineError.weightShape(name: "model.layers.0.self_attn.{q,k,v}_proj.weight",
                                                expected: [w.qkv.rows, 32], actual: [w.qkv.rows - 1, 32])) {
            try BackboneWeights.Layer(config: config, layer: 0, inputNorm: w.inputNorm,
                                    qkv: PackedWeight(Matrix(rows: w.qkv.rows - 1, cols: 32)), o: w.o,
                                    postNorm: w.postNorm, gate: w.gate)
        }
        #expect(throws: EngineError.weightShape(name: "lm_head.weight", expected: [61, 32], actual: [61, 31])) {
            try BackboneWeights(config: config, embed: good.embed, layers: good.layers, finalNorm: good.finalNorm,
                              head: PackedWeight(Matrix(rows: 61, cols: 31)))
        }
        let rebuilt = try BackboneWeights.Layer(config: config, layer: 0, inputNorm: w.inputNorm, qkv: w.qkv, o: w.o,
                                              postNorm: w.postNorm, gate: w.gate)
        #expect(rebuilt.qkv === w.qkv && rebuilt.gate === w.gate)
    }
}
