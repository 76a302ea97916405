import Foundation
import Testing
import SwitchyardTensor
@testable import SwitchyardModel

@Suite("Sampling, log-softmax and the generate front end")
struct SamplerTests {
    let logits: [Float] = [1.0, 3.0, 2.5, -1.0, 0.0, 2.9, 0.5, -3.0]

    func draw(_ params: SamplingParams, _ n: Int) -> [SampledToken] {
        var sampler = Sampler(params: params)
        return (0..<n).map { _ in logits.withUnsafeBufferPointer { sampler.sample(logits: $0) } }
    }

    func logSoftmax(_ x: [Float]) -> [Double] {
        let m = Double(x.max()!)
        let lse = m + log(x.map { exp(Double($0) - m) }.reduce(0, +))
        return x.map { Double($0) - lse }
    }

    @Test("greedy picks the argmax with its raw log-softmax")
    func greedy() {
        let t = draw(.greedy, 3)
        #expect(t.allSatisfy { $0.token == 1 })
        #expect(abs(Double(t[0].logprob) - logSoftmax(logits)[1]) < 1e-6)
    }

    @Test("the same seed reproduces the same tokens; another seed differs")
    func seeded() {
        let p = SamplingParams(temperature: 1.5, seed: 1234)
        let a = draw(p, 200).map(\.token)
        #expect(a == draw(p, 200).map(\.token))
        var q = p
        q.seed = 99
        #expect(a != draw(q, 200).map(\.token))
        #expect(Set(a).count > 3)
    }

    @Test("logprob is the raw log-softmax whatever temperature, top-k or top-p")
    func logprobs() {
        let ref = logSoftmax(logits)
        let lse = Double(logits[0]) - ref[0]
        for params in [SamplingParams(temperature: 0.7, topK: 3, topP: 0.9, seed: 5), .greedy] {
            for token in draw(params, 100) {
                #expect(abs(Double(token.logprob) - ref[Int(token.token)]) < 1e-5)
                // The row's log-sum-exp comes along, for other tokens' log-probabilities.
                #expect(abs(Double(token.logSumExp) - lse) < 1e-5)
            }
        }
    }

    @Test("top-k restricts the support to the k most likely tokens")
    func topK() {
        let tokens = Set(draw(SamplingParams(temperature: 5, topK: 3, seed: 7), 500).map(\.token))
        #expect(tokens == [1, 5, 2])
    }

    @Test("top-p keeps the smallest most-likely set reaching p")
    func topP() {
        // probabilities at T=1: token 1 ~0.34, 5 ~0.31, 2 ~0.21, 0 ~0.05 ...
        let tokens = Set(draw(SamplingParams(temperature: 1, topP: 0.6, seed: 8), 500).map(\.token))
        #expect(tokens == [1, 5])
        let wider = Set(draw(SamplingParams(temperature: 1, topP: 0.8, seed: 8), 500).map(\.token))
        #expect(wider == [1, 5, 2])
        let tiny = Set(draw(SamplingParams(temperature: 1, topP: 0.01, seed: 8), 100).map(\.token))
        #expect(tiny == [1])
    }

    @Test("sampled frequencies follow the temperature-scaled softmax")
    func frequencies() {
        let n = 4000
        let tokens = draw(SamplingParams(temperature: 1, seed: 3), n).map(\.token)
        let p = logSoftmax(logits).map(exp)
        let observed = Double(tokens.filter { $0 == 1 }.count) / Double(n)
        #expect(abs(observed - p[1]) < 0.03)
    }

    @Test("invalid sampling parameters are rejected")
    func invalidParams() {
        #expect(throws: EngineError.self) { try SamplingParams(temperature: -1).validate() }
        #expect(throws: EngineError.self) { try SamplingParams(topK: -2).validate() }
        #expect(throws: EngineError.self) { try SamplingParams(topP: 0).validate() }
        #expect(throws: EngineError.self) { try SamplingParams(topP: 1.5).validate() }
        #expect(throws: Never.self) { try SamplingParams(temperature: 0, topK: 0, topP: 1).validate() }
    }

    @Test("LogSoftmax.compute and topK agree with the reference")
    func logSoftmaxKernel() {
        var out = [Float](repeating: 0, count: logits.count)
        logits.withUnsafeBufferPointer { LogSoftmax.compute($0, into: &out) }
        let ref = logSoftmax(logits)
        for i in logits.indices { #expect(abs(Double(out[i]) - ref[i]) < 1e-6) }
        let top = logits.withUnsafeBufferPointer { LogSoftmax.topK($0, k: 2) }
        #expect(top.map(\.token) == [1, 5])
        #expect(abs(Double(top[1].logprob) - ref[5]) < 1e-6)
    }

    @Test("prompt ids parse; malformed lists are clear errors")
    func parsePrompt() throws {
        #expect(try Generator.parseTokenIDs("5,17,2") == [5, 17, 2])
        #expect(try Generator.parseTokenIDs(" 5, 17 ") == [5, 17])
        #expect(throws: EngineError.emptyPrompt) { try Generator.parseTokenIDs("") }
        #expect(throws: EngineError.self) { try Generator.parseTokenIDs("5,x,2") }
        #expect(throws: EngineError.self) { try Generator.parseTokenIDs("5,,2") }
        #expect(throws: EngineError.self) { try Generator.parseTokenIDs("99999999999") }
    }

    @Test("generate rejects out-of-vocabulary ids, too-long prompts and a missing model directory")
    func generateErrors() async throws {
        let engine = try TestModels.engine("mixtral")
        let generator = Generator(engine: engine)
        await #expect(throws: EngineError.tokenOutOfRange(token: 61, vocabSize: 61)) {
            try await generator.generate(prompt: [1, 61], maxTokens: 2)
        }
        await #expect(throws: EngineError.promptTooLong(length: 65, limit: 64)) {
            try await generator.generate(prompt: [Int32](repeating: 1, count: 65), maxTokens: 2)
        }
        await #expect(throws: EngineError.emptyPrompt) { try await generator.generate(prompt: [], maxTokens: 2) }
        await #expect(throws: EngineError.self) { try await generator.generate(prompt: [1], maxTokens: -1) }
        #expect(throws: (any Error).self) {
            try Engine.load(directory: URL(fileURLWithPath: "/nonexistent/model-dir"))
        }
        let message = "\(EngineError.tokenOutOfRange(token: 61, vocabSize: 61))"
        #expect(message.contains("61") && message.contains("vocabulary"))
    }

    @Test("generate: length and stop finish reasons, JSON shape, context limit")
    func generateLoop() async throws {
        let engine = try TestModels.engine("mixtral")
        let generator = Generator(engine: engine)
        let result = try await generator.generate(prompt: [5, 17, 2], maxTokens: 6, stopTokenIDs: [])
        #expect(result.tokenIDs.count == 6 && result.logprobs.count == 6 && result.finishReason == .length)
        #expect(result.logprobs.allSatisfy { $0 <= 0 && $0.isFinite })
        let stopAt = result.tokenIDs[2]
        let stopped = try await generator.generate(prompt: [5, 17, 2], maxTokens: 6, stopTokenIDs: [stopAt])
        let firstStop = result.tokenIDs.firstIndex(of: stopAt)!
        #expect(stopped.finishReason == .stop && stopped.tokenIDs == Array(result.tokenIDs[...firstStop]))
        #expect(stopped.json.hasPrefix("{\"prompt_token_ids\": [5, 17, 2], \"token_ids\": ["))
        #expect(stopped.json.hasSuffix("\"finish_reason\": \"stop\"}"))
        let json = try JSONSerialization.jsonObject(with: Data(result.json.utf8)) as? [String: Any]
        #expect((json?["token_ids"] as? [Int])?.count == 6)
        #expect((json?["logprobs"] as? [Double])?.count == 6)
        // A prompt at the context limit can produce exactly one token.
        let full = try await generator.generate(prompt: [Int32](repeating: 3, count: 64), maxTokens: 5, stopTokenIDs: [])
        #expect(full.tokenIDs.count == 1 && full.finishReason == .length)
        let none = try await generator.generate(prompt: [1], maxTokens: 0)
        #expect(none.tokenIDs.isEmpty)
    }
}
