import Foundation
import Testing
import SwitchyardTensor
@testable import SwitchyardModel

/// `Perplexity.evaluate`: chunking, scoring, and the comparison against a baseline.
@Suite("Perplexity and KL against a baseline")
struct PerplexityTests {
    init() { BLAS.setThreads(1) }

    static func tokens(_ count: Int, vocab: Int) -> [Int32] { (0..<count).map { Int32(($0 * 37 + 11) % vocab) } }

    @Test("a model against itself: KL 0, full top-1 agreement, equal perplexities; second halves scored")
    func againstItself() async throws {
        let fixture = try GoldenFixture.load("mixtral_basic")
        let engine = try Engine.load(directory: fixture.directory)
        let same = try Engine.load(directory: fixture.directory)
        let tokens = Self.tokens(70, vocab: engine.config.vocabSize)
        let result = try await Perplexity.evaluate(engine: engine, baseline: same, tokens: tokens, context: 16, batch: 3)
        #expect(result.chunks == 4)
        #expect(result.tokens == 4 * 7)  // positions 8..<15 predict tokens 9...15
        #expect(result.klDivergence == 0)
        #expect(result.top1Agreement == 1)
        #expect(result.perplexity == result.baselinePerplexity)
        #expect(result.perplexity > 1 && result.perplexity.isFinite)
    }

    @Test("the batch does not change the result; q8_0 against f32 has a small positive KL")
    func batchAndQuantized() async throws {
        let fixture = try GoldenFixture.load("mixtral_basic")
        let f32 = try Engine.load(directory: fixture.directory)
        let q8 = try Engine.load(directory: fixture.directory, dtypes: WeightDTypes(experts: .format(.q8_0)))
        let tokens = Self.tokens(64, vocab: f32.config.vocabSize)
        let one = try await Perplexity.evaluate(engine: q8, baseline: f32, tokens: tokens, context: 16, batch: 1)
        let four = try await Perplexity.evaluate(engine: q8, baseline: f32, tokens: tokens, context: 16, batch: 4)
        // Same per-position numbers; only the order of the sums differs.
        #expect(one.tokens == four.tokens && one.top1Agreements == four.top1Agreements)
        #expect(abs(one.negativeLogLikelihood - four.negativeLogLikelihood) < 1e-9)
        #expect(abs(one.klDivergence - four.klDivergence) < 1e-12 && one.maxKLDivergence == four.maxKLDivergence)
        #expect(one.meanKLDivergence > 0 && one.meanKLDivergence < 0.05, "mean KL \(one.meanKLDivergence)")
        #expect(one.top1Agreement > 0.8)
    }

    @Test("too short a text is a clear error")
    func tooShort() async throws {
        let fixture = try GoldenFixture.load("mixtral_basic")
        let engine = try Engine.load(directory: fixture.directory)
        await #expect(throws: EngineError.self) {
            _ = try await Perplexity.evaluate(engine: engine, tokens: [1, 2, 3], context: 16)
        }
    }
}
