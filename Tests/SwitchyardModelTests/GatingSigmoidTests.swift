import Foundation
import Testing
import SwitchyardTensor
@testable import SwitchyardModel

/// V3-style routing (deepseek_v3 `noaux_tc`, glm4_moe) against a direct transcription of
/// `Glm4MoeTopkRouter.forward`.
@Suite("Sigmoid, group-limited routing")
struct GatingSigmoidTests {
    static func config(groups: Int, topKGroups: Int, normalise: Bool, scaling: Float) -> ModelConfig {
        ModelConfig(
            family: .glm4_moe, hiddenSize: 8, numLayers: 2, numHeads: 2, numKVHeads: 2, headDim: 4, vocabSize: 4,
            intermediateSize: 8, moeIntermediateSize: 4, sharedExpertIntermediateSize: 4, numExperts: 8, topK: 3,
            normTopKProb: normalise, rmsNormEps: 1e-5, ropeTheta: 1e4, maxPositionEmbeddings: 64,
            tieWordEmbeddings: false, attentionBias: false, qkNorm: .none, mlpOnlyLayers: [0],
            scoringFunction: .sigmoid, scoreCorrectionBias: true, expertGroups: groups, topKGroups: topKGroups,
            groupScore: .topTwoSum, routedScalingFactor: scaling, sharedExpertGated: false)
    }

    /// The reference: ids and weights, sorted by id.
    func reference(_ logits: [Float], bias: [Float], _ config: ModelConfig) -> [(Int32, Double)] {
        let scores = logits.map { 1 / (1 + exp(-Double($0))) }
        var choice = zip(scores, bias).map { $0 + Double($1) }
        let size = 8 / config.expertGroups
        let groupScores = (0..<config.expertGroups).map { g in
            choice[(g * size)..<((g + 1) * size)].sorted(by: >).prefix(2).reduce(0, +)
        }
        let kept = Set(groupScores.indices.sorted { groupScores[$0] > groupScores[$1] }.prefix(config.topKGroups))
        for e in 0..<8 where !kept.contains(e / size) { choice[e] = -.infinity }
        let ids = choice.indices.sorted { choice[$0] > choice[$1] }.prefix(config.topK)
        var weights = ids.map { scores[$0] }
        if config.normTopKProb {
            let sum = weights.reduce(0, +) + 1e-20
            weights = weights.map { $0 / sum }
        }
        return zip(ids, weights).map { (Int32($0), $1 * Double(config.routedScalingFactor)) }.sorted { $0.0 < $1.0 }
    }

    func route(_ config: ModelConfig, layer: Int, logits: [Float], bias: [Float]) -> ExpertRoutes {
        var routes = ExpertRoutes(rows: 0, slotsPerRow: 1, expertIDs: [], weights: [])
        var l = logits
        l.withUnsafeMutableBufferPointer { lp in
            bias.withUnsafeBufferPointer { bp in
                Gating.route(config: config, layer: layer, rows: 1, logits: lp.baseAddress, sharedLogits: nil,
                             correctionBias: bp.baseAddress, into: &routes)
            }
        }
        return routes
    }

    @Test("matches Glm4MoeTopkRouter", arguments: [(1, 1, true, Float(1)), (4, 2, true, 2.5), (4, 1, false, 1.8), (2, 1, true, 1)])
    func matchesReference(groups: Int, topKGroups: Int, normalise: Bool, scaling: Float) {
        let config = Self.config(groups: groups, topKGroups: topKGroups, normalise: normalise, scaling: scaling)
        var generator = SeededGenerator(seed: UInt64(groups * 10 + topKGroups))
        for _ in 0..<50 {
            let logits = (0..<8).map { _ in Float.random(in: -3...3, using: &generator) }
            let bias = (0..<8).map { _ in Float.random(in: -0.5...0.5, using: &generator) }
            let routes = route(config, layer: 1, logits: logits, bias: bias)
            #expect(routes.slotsPerRow == 4)
            #expect(routes.expertIDs[3] == 8 && routes.weights[3] == 1, "the shared expert always runs with weight 1")
            let ours = zip(routes.expertIDs.prefix(3), routes.weights.prefix(3)).sorted { $0.0 < $1.0 }
            let expected = reference(logits, bias: bias, config)
            #expect(ours.map(\.0) == expected.map(\.0), "logits \(logits) bias \(bias)")
            for (a, b) in zip(ours, expected) { #expect(abs(Double(a.1) - b.1) < 1e-5) }
        }
    }

    @Test("the correction bias changes the choice, not the weights")
    func biasOnlyChooses() {
        let config = Self.config(groups: 1, topKGroups: 1, normalise: false, scaling: 1)
        let logits: [Float] = [3, 2, 1, 0, -1, -2, -3, -4]
        let bias: [Float] = [0, 0, 0, 0, 0, 0, 0, 10]
        let routes = route(config, layer: 1, logits: logits, bias: bias)
        #expect(routes.expertIDs.prefix(3) == [7, 0, 1])
        #expect(abs(routes.weights[0] - 1 / (1 + expf(4))) < 1e-7)
    }

    @Test("a dense first layer routes to its MLP")
    func denseLayer() {
        let config = Self.config(groups: 1, topKGroups: 1, normalise: true, scaling: 2.5)
        let routes = route(config, layer: 0, logits: [Float](repeating: 0, count: 8), bias: [Float](repeating: 0, count: 8))
        #expect(routes.slotsPerRow == 1 && routes.expertIDs == [0] && routes.weights == [1])
    }
}
