import Foundation
import SwitchyardTensor
@testable import SwitchyardModel

/// Tiny configurations exercising each family's features, and helpers shared by the engine tests.
enum TestModels {
    static func config(_ name: String) -> ModelConfig {
        switch name {
        case "mixtral":
            return ModelConfig(family: .mixtral, hiddenSize: 32, numLayers: 2, numHeads: 4, numKVHeads: 2, headDim: 8,
                               vocabSize: 61, intermediateSize: 24, moeIntermediateSize: 24, sharedExpertIntermediateSize: 0,
                               numExperts: 4, topK: 2, normTopKProb: true, rmsNormEps: 1e-5, ropeTheta: 10_000,
                               maxPositionEmbeddings: 64, tieWordEmbeddings: false, attentionBias: false, qkNorm: .none,
                               eosTokenIDs: [2])
        case "mixtral-sliding":
            var c = config("mixtral")
            c.slidingWindow = 3
            return c
        case "qwen2_moe":
            return ModelConfig(family: .qwen2_moe, hiddenSize: 32, numLayers: 3, numHeads: 4, numKVHeads: 2, headDim: 8,
                               vocabSize: 61, intermediateSize: 40, moeIntermediateSize: 16, sharedExpertIntermediateSize: 36,
                               numExperts: 6, topK: 2, normTopKProb: false, rmsNormEps: 1e-6, ropeTheta: 1_000_000,
                               maxPositionEmbeddings: 64, tieWordEmbeddings: false, attentionBias: true, qkNorm: .none,
                               decoderSparseStep: 2)
        case "qwen3_moe":
            return ModelConfig(family: .qwen3_moe, hiddenSize: 32, numLayers: 2, numHeads: 4, numKVHeads: 1, headDim: 16,
                               vocabSize: 61, intermediateSize: 24, moeIntermediateSize: 12, sharedExpertIntermediateSize: 0,
                               numExperts: 8, topK: 3, normTopKProb: true, rmsNormEps: 1e-6, ropeTheta: 1_000_000,
                               maxPositionEmbeddings: 64, tieWordEmbeddings: false, attentionBias: false, qkNorm: .perHead,
                               mlpOnlyLayers: [1])
        case "olmoe":
            return ModelConfig(family: .olmoe, hiddenSize: 32, numLayers: 2, numHeads: 4, numKVHeads: 4, headDim: 8,
                               vocabSize: 61, intermediateSize: 20, moeIntermediateSize: 20, sharedExpertIntermediateSize: 0,
                               numExperts: 4, topK: 2, normTopKProb: false, rmsNormEps: 1e-5, ropeTheta: 10_000,
                               maxPositionEmbeddings: 64, tieWordEmbeddings: true, attentionBias: true, outputBias: true,
                               qkNorm: .full, clipQKV: 1.0)
        default:
            fatalError("no test model \(name)")
        }
    }

    static let names = ["mixtral", "mixtral-sliding", "qwen2_moe", "qwen3_moe", "olmoe"]

    static func engine(_ name: String, seed: UInt64 = 3, microBatches: Int = 1) throws -> Engine {
        try Engine.synthetic(config: config(name), seed: seed, microBatches: microBatches)
    }

    static func prompt(_ length: Int, seed: UInt64, vocab: Int) -> [Int32] {
        var g = SeededGenerator(seed: seed)
        return (0..<length).map { _ in Int32(g.next() % UInt64(vocab)) }
    }

    static func row(_ m: Matrix, _ r: Int) -> [Float] {
        Array(UnsafeBufferPointer(start: m.row(r), count: m.cols))
    }

    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }
}
