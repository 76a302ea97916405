import Foundation
import Testing
import SwitchyardTensor
@testable import SwitchyardModel

/// The engine against transformers (float64) on every committed fixture (scripts/make_golden.py).
@Suite("Golden outputs from transformers")
struct GoldenTests {
    init() { BLAS.setThreads(1) }

    static let fixtureNames: [String] = (try? GoldenFixture.names()) ?? []

    @Test("fixtures are present (the golden tests cannot pass vacuously)")
    func fixturesPresent() throws {
        let names = try GoldenFixture.names()
        #expect(names.count >= 6, "fixtures: \(names)")
    }

    @Test("last-position log-softmax within 1e-3 and teacher-forced greedy tokens", arguments: fixtureNames)
    func golden(name: String) async throws {
        let fixture = try GoldenFixture.load(name)
        let engine = try Engine.load(directory: fixture.directory, dtypes: fixture.referenceDTypes)
        #expect(engine.config.vocabSize == fixture.vocabSize)
        var checkedTokens = 0
        for (index, prompt) in fixture.prompts.enumerated() {
            let steps = prompt.greedyTokenIDs.count
            let cache = KVCache(config: engine.config, capacity: prompt.tokenIDs.count + steps)
            var logits = try await engine.forward([EngineInput(cache: cache, tokens: prompt.tokenIDs)])
            var ours = [Float](repeating: 0, count: fixture.vocabSize)
            LogSoftmax.compute(UnsafeBufferPointer(start: logits.row(0), count: logits.cols), into: &ours)
            var worst = 0.0
            for (a, b) in zip(ours, prompt.lastLogprobs) { worst = max(worst, abs(Double(a) - b)) }
            #expect(worst < fixture.tolerance, "\(name) prompt \(index) (\(prompt.tokenIDs.count) tokens): max |Δ logprob| \(worst)")

            // Teacher-forced greedy continuation: feed the reference tokens, compare each step's choice.
            for step in 0..<steps {
                let row = UnsafeBufferPointer(start: logits.row(0), count: logits.cols)
                let expected = prompt.greedyTokenIDs[step]
                if prompt.greedyMargins[step] >= fixture.margin {
                    let argmax = VectorOps.argmax(row.baseAddress!, count: row.count)
                    #expect(Int32(argmax) == expected, "\(name) prompt \(index) step \(step)")
                    checkedTokens += 1
                }
                let lp = LogSoftmax.logprob(of: Int(expected), row)
                #expect(abs(Double(lp) - prompt.greedyLogprobs[step]) < fixture.tolerance,
                        "\(name) prompt \(index) step \(step): logprob \(lp) vs \(prompt.greedyLogprobs[step])")
                if step + 1 < steps {
                    logits = try await engine.forward([EngineInput(cache: cache, tokens: [expected])])
                }
            }
        }
        #expect(checkedTokens > 0)
    }

    @Test("free-running greedy generation reproduces the reference up to the first near-tie", arguments: fixtureNames)
    func freeRunning(name: String) async throws {
        let fixture = try GoldenFixture.load(name)
        let generator = Generator(engine: try Engine.load(directory: fixture.directory, dtypes: fixture.referenceDTypes))
        for prompt in fixture.prompts.prefix(2) {
            let result = try await generator.generate(prompt: prompt.tokenIDs, maxTokens: prompt.greedyTokenIDs.count, stopTokenIDs: [])
            let firstTie = prompt.greedyMargins.firstIndex { $0 < fixture.margin } ?? prompt.greedyMargins.count
            #expect(Array(result.tokenIDs.prefix(firstTie)) == Array(prompt.greedyTokenIDs.prefix(firstTie)))
        }
    }

    @Test("prompts decoding together on two threads follow the reference step by step", arguments: fixtureNames)
    func batchedDecodeOnTwoThreads(name: String) async throws {
        let fixture = try GoldenFixture.load(name)
        let engine = try Engine.load(directory: fixture.directory, dtypes: fixture.referenceDTypes)
        // Decode attention and experts run concurrently (their own thread count, not the shared BLAS one).
        engine.threads = 2
        let backend = try #require(engine.experts as? LocalExpertBackend)
        backend.threads = 2
        let prompts = fixture.prompts
        let steps = try #require(prompts.map(\.greedyTokenIDs.count).min())
        let caches = prompts.map { KVCache(config: engine.config, capacity: $0.tokenIDs.count + steps) }
        var logits = try await engine.forward(zip(caches, prompts).map { EngineInput(cache: $0, tokens: $1.tokenIDs) })
        for step in 0..<steps {
            for (b, prompt) in prompts.enumerated() {
                let row = UnsafeBufferPointer(start: logits.row(b), count: logits.cols)
                let lp = LogSoftmax.logprob(of: Int(prompt.greedyTokenIDs[step]), row)
                #expect(abs(Double(lp) - prompt.greedyLogprobs[step]) < fixture.tolerance,
                        "\(name) prompt \(b) step \(step): logprob \(lp) vs \(prompt.greedyLogprobs[step])")
            }
            if step + 1 < steps {
                logits = try await engine.forward(zip(caches, prompts).map { EngineInput(cache: $0, tokens: [$1.greedyTokenIDs[step]]) })
            }
        }
    }

    @Test("a batch of the fixture's prompts decoded together matches the reference", arguments: fixtureNames)
    func batched(name: String) async throws {
        let fixture = try GoldenFixture.load(name)
        let engine = try Engine.load(directory: fixture.directory, dtypes: fixture.referenceDTypes)
        let prompts = fixture.prompts
        let caches = prompts.map { KVCache(config: engine.config, capacity: $0.tokenIDs.count + 1) }
        let logits = try await engine.forward(zip(caches, prompts).map { EngineInput(cache: $0, tokens: $1.tokenIDs) })
        for (b, prompt) in prompts.enumerated() {
            let row = UnsafeBufferPointer(start: logits.row(b), count: logits.cols)
            let lse = LogSoftmax.logSumExp(row)
            var worst = 0.0
            for (i, expected) in prompt.lastLogprobs.enumerated() { worst = max(worst, abs(Double(row[i] - lse) - expected)) }
            #expect(worst < fixture.tolerance, "\(name) prompt \(b) batched: \(worst)")
        }
    }
}

