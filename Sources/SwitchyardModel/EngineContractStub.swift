// TEMPORARY: stand-ins for the "ckpt" engineer's types (model-contract.md), so the engine builds
// before their branch is merged. Deleted when `git merge ckpt` brings the real ones.
import Foundation
import SwitchyardTensor

public enum DType: String, Sendable { case f32 = "F32", bf16 = "BF16", f16 = "F16" }

public enum ModelFamily: String, Sendable, CaseIterable { case mixtral, qwen2_moe, qwen3_moe, olmoe }

public struct ModelConfig: Sendable, Equatable {
    public enum QKNorm: String, Sendable, Equatable { case none, perHead, full }
    public var family: ModelFamily
    public var hiddenSize, numLayers, numHeads, numKVHeads, headDim, vocabSize: Int
    public var intermediateSize, moeIntermediateSize, sharedExpertIntermediateSize, numExperts, topK: Int
    public var normTopKProb: Bool
    public var rmsNormEps: Float
    public var ropeTheta: Double
    public var maxPositionEmbeddings: Int
    public var tieWordEmbeddings: Bool
    public var slidingWindow: Int?
    public var slidingWindowLayers: [Int]?
    public var attentionBias, outputBias: Bool
    public var qkNorm: QKNorm
    public var clipQKV: Float?
    public var decoderSparseStep: Int
    public var mlpOnlyLayers: [Int]
    public var bosTokenID: Int?
    public var eosTokenIDs: [Int]
    public var dtype: DType

    public init(
        family: ModelFamily, hiddenSize: Int, numLayers: Int, numHeads: Int, numKVHeads: Int, headDim: Int,
        vocabSize: Int, intermediateSize: Int, moeIntermediateSize: Int, sharedExpertIntermediateSize: Int,
        numExperts: Int, topK: Int, normTopKProb: Bool, rmsNormEps: Float, ropeTheta: Double,
        maxPositionEmbeddings: Int, tieWordEmbeddings: Bool, slidingWindow: Int? = nil,
        slidingWindowLayers: [Int]? = nil, attentionBias: Bool, outputBias: Bool = false, qkNorm: QKNorm,
        clipQKV: Float? = nil, decoderSparseStep: Int = 1, mlpOnlyLayers: [Int] = [], bosTokenID: Int? = nil,
        eosTokenIDs: [Int] = [], dtype: DType = .f32
    ) {
        self.family = family; self.hiddenSize = hiddenSize; self.numLayers = numLayers; self.numHeads = numHeads
        self.numKVHeads = numKVHeads; self.headDim = headDim; self.vocabSize = vocabSize
        self.intermediateSize = intermediateSize; self.moeIntermediateSize = moeIntermediateSize
        self.sharedExpertIntermediateSize = sharedExpertIntermediateSize; self.numExperts = numExperts
        self.topK = topK; self.normTopKProb = normTopKProb; self.rmsNormEps = rmsNormEps; self.ropeTheta = ropeTheta
        self.maxPositionEmbeddings = maxPositionEmbeddings; self.tieWordEmbeddings = tieWordEmbeddings
        self.slidingWindow = slidingWindow; self.slidingWindowLayers = slidingWindowLayers
        self.attentionBias = attentionBias; self.outputBias = outputBias; self.qkNorm = qkNorm; self.clipQKV = clipQKV
        self.decoderSparseStep = decoderSparseStep; self.mlpOnlyLayers = mlpOnlyLayers; self.bosTokenID = bosTokenID
        self.eosTokenIDs = eosTokenIDs; self.dtype = dtype
    }

    public func isSparse(layer: Int) -> Bool {
        numExperts > 0 && !mlpOnlyLayers.contains(layer) && (layer + 1) % max(decoderSparseStep, 1) == 0
    }
    public var hasSharedExpert: Bool { sharedExpertIntermediateSize > 0 }
    public func ffnExperts(layer: Int) -> Int { isSparse(layer: layer) ? numExperts + (hasSharedExpert ? 1 : 0) : 1 }
    public func expertIntermediateSize(layer: Int, expert: Int) -> Int {
        guard isSparse(layer: layer) else { return intermediateSize }
        return expert == numExperts && hasSharedExpert ? sharedExpertIntermediateSize : moeIntermediateSize
    }
    public func slidingWindow(layer: Int) -> Int? {
        guard let window = slidingWindow else { return nil }
        guard let layers = slidingWindowLayers else { return window }
        return layers.contains(layer) ? window : nil
    }
    public var qDim: Int { numHeads * headDim }
    public var kvDim: Int { numKVHeads * headDim }
    public static func load(directory: URL) throws -> ModelConfig {
        throw EngineError.invalidArgument("checkpoint loading is not merged yet")
    }
}

public struct ExpertKey: Hashable, Sendable, Comparable {
    public var layer: Int
    public var expert: Int
    public init(layer: Int, expert: Int) { self.layer = layer; self.expert = expert }
    public static func < (lhs: ExpertKey, rhs: ExpertKey) -> Bool { (lhs.layer, lhs.expert) < (rhs.layer, rhs.expert) }
}

public struct ExpertFFNWeights: Sendable {
    public var gate: Matrix
    public var up: Matrix
    public var down: Matrix
    public init(gate: Matrix, up: Matrix, down: Matrix) { self.gate = gate; self.up = up; self.down = down }
    public var intermediateSize: Int { gate.rows }
    public var hiddenSize: Int { gate.cols }
}

public enum TensorFilter: Sendable { case all, nonExperts, experts(Set<ExpertKey>) }

public final class Checkpoint: @unchecked Sendable {
    public init(directory: URL, config: ModelConfig, filter: TensorFilter = .all) throws {
        throw EngineError.invalidArgument("checkpoint loading is not merged yet")
    }
    public func has(_ name: String) -> Bool { false }
    public func matrix(_ name: String, shape: [Int]) throws -> Matrix { throw EngineError.missingWeight(name) }
    public func vector(_ name: String, count: Int) throws -> [Float] { throw EngineError.missingWeight(name) }
    public func expertFFN(layer: Int, expert: Int) throws -> ExpertFFNWeights { throw EngineError.missingWeight("experts") }
}
