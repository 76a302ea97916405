import Foundation
import Testing
@testable import SwitchyardModel

/// Each sampling parameter beyond temperature, top-k and top-p, shown by its effect on the sampler.
@Suite("Penalties, logit bias, min-p and min-tokens")
struct LogitsProcessorTests {
    /// Token 0 leads, token 1 is close behind.
    let logits: [Float] = [2.0, 1.9, 0.5, -1.0, 0.0, 1.0]

    func draw(_ params: SamplingParams, prompt: [Int32] = [], _ count: Int) -> [Int32] {
        var sampler = Sampler(params: params, promptTokens: prompt)
        return (0..<count).map { _ in logits.withUnsafeBufferPointer { sampler.sample(logits: $0).token } }
    }

    func greedy(_ change: (inout SamplingParams) -> Void) -> SamplingParams {
        var params = SamplingParams.greedy
        change(&params)
        return params
    }

    @Test("logit_bias +100 forces a token, -100 bans one, and the reported logprob stays the model's")
    func logitBias() {
        #expect(draw(greedy { $0.logitBias = [3: 100] }, 3) == [3, 3, 3])
        var sampler = Sampler(params: SamplingParams(temperature: 1, seed: 5).with { $0.logitBias = [4: 100] })
        let drawn = (0..<50).map { _ in logits.withUnsafeBufferPointer { sampler.sample(logits: $0) } }
        #expect(drawn.allSatisfy { $0.token == 4 })
        let lse = log(logits.map { exp(Double($0)) }.reduce(0, +))
        #expect(abs(Double(drawn[0].logprob) - (0 - lse)) < 1e-5)
        #expect(draw(greedy { $0.logitBias = [0: -100] }, 2) == [1, 1])
    }

    @Test("min_tokens suppresses the end tokens until that many were generated")
    func minTokens() {
        let endFirst = greedy { $0.logitBias = [5: 10] }
        #expect(draw(endFirst, 1) == [5])
        let suppressed = draw(endFirst.with { $0.minTokens = 3; $0.endTokens = [5] }, 4)
        #expect(suppressed == [0, 0, 0, 5])
    }

    @Test("repetition_penalty divides the logits of prompt tokens, changing the greedy choice")
    func repetitionPenalty() {
        #expect(draw(.greedy, prompt: [0], 1) == [0])
        #expect(draw(greedy { $0.repetitionPenalty = 1.2 }, prompt: [0], 1) == [1])
        // Generated tokens count too: without the prompt, token 0 is chosen once, then penalised.
        #expect(draw(greedy { $0.repetitionPenalty = 1.2 }, 2) == [0, 1])
        // A negative logit is multiplied (made more negative), never raised.
        let negativeRow: [Float] = [-1.0, -1.1]
        var negative = Sampler(params: greedy { $0.repetitionPenalty = 2 }, promptTokens: [0])
        #expect(negativeRow.withUnsafeBufferPointer { negative.sample(logits: $0).token } == 1)
    }

    @Test("presence_penalty subtracts once per generated token, whatever its count")
    func presencePenalty() {
        #expect(draw(.greedy, 3) == [0, 0, 0])
        #expect(draw(greedy { $0.presencePenalty = 0.5 }, 3) == [0, 1, 0])
        // The prompt does not count for it.
        #expect(draw(greedy { $0.presencePenalty = 0.5 }, prompt: [0], 1) == [0])
    }

    @Test("frequency_penalty grows with each repetition")
    func frequencyPenalty() {
        // 2.0 - 0.06k stays above 1.9 once (k = 1), not twice.
        #expect(draw(greedy { $0.frequencyPenalty = 0.06 }, 4) == [0, 0, 1, 0])
        // Negative penalties encourage repetition.
        #expect(draw(greedy { $0.frequencyPenalty = -1; $0.logitBias = [1: 0.2] }, 3) == [1, 1, 1])
    }

    @Test("min_p drops tokens below that fraction of the best one's probability")
    func minP() {
        let free = draw(SamplingParams(temperature: 1, seed: 3), 300)
        #expect(Set(free).count > 3)
        // p(1)/p(0) = e^-0.1 ≈ 0.905; everything else is below 0.4 of p(0).
        let cut = draw(SamplingParams(temperature: 1, seed: 3).with { $0.minP = 0.5 }, 300)
        #expect(Set(cut) == [0, 1])
        let onlyBest = draw(SamplingParams(temperature: 1, seed: 3).with { $0.minP = 0.95 }, 100)
        #expect(Set(onlyBest) == [0])
    }

    @Test("validation refuses out-of-range extras")
    func validation() {
        #expect(throws: EngineError.self) { try SamplingParams().with { $0.minP = 2 }.validate() }
        #expect(throws: EngineError.self) { try SamplingParams().with { $0.repetitionPenalty = 0 }.validate() }
        #expect(throws: EngineError.self) { try SamplingParams().with { $0.minTokens = -1 }.validate() }
    }
}

extension SamplingParams {
    /// A copy with `change` applied.
    func with(_ change: (inout SamplingParams) -> Void) -> SamplingParams {
        var copy = self
        change(&copy)
        return copy
    }
}
