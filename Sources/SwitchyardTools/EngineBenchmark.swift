import SwitchyardModel
import SwitchyardTokenizer
import Dispatch
import Foundation
import SwitchyardTensor

/// The engine benchmark behind `switchyard perf`: for a batch size, prefill `batch` random prompts
/// in one step, then decode greedily one token per sequence per step, and time both.
public enum EngineBenchmark {
    /// The outcome of one batch size.
    public struct Result: Sendable, Equatable {
        public var batch: Int
        public var prefillTokensPerSecond: Double
        public var decodeTokensPerSecond: Double
        /// Matmul GFLOP/s the prefill reached (projections, gates, experts; attention scores excluded).
        public var prefillGFLOPS: Double
        /// Matmul GFLOP/s the decode reached (the head included).
        public var decodeGFLOPS: Double
        /// Weight bytes a decode step read (distinct experts actually routed) per second, in GB/s.
        public var decodeWeightGBS: Double
        /// Generated tokens (`batch x genLength`, the first from the prefill) over prefill plus decode
        /// time: what a server doing exactly this work (the prompts arrive together, each generates
        /// `genLength`) would report as output throughput, with nothing else in the way.
        public var endToEndTokensPerSecond: Double

        public init(batch: Int, prefillTokensPerSecond: Double, decodeTokensPerSecond: Double, prefillGFLOPS: Double,
                    decodeGFLOPS: Double, decodeWeightGBS: Double, endToEndTokensPerSecond: Double) {
            self.batch = batch
            self.prefillTokensPerSecond = prefillTokensPerSecond
            self.decodeTokensPerSecond = decodeTokensPerSecond
            self.prefillGFLOPS = prefillGFLOPS
            self.decodeGFLOPS = decodeGFLOPS
            self.decodeWeightGBS = decodeWeightGBS
            self.endToEndTokensPerSecond = endToEndTokensPerSecond
        }
    }

    /// Runs one batch size.
    public static func run(engine: Engine, batch: Int, promptLength: Int, genLength: Int, seed: UInt64 = 7) async throws -> Result {
        let config = engine.config
        guard batch > 0, promptLength > 0, genLength > 1 else {
            throw EngineError.invalidArgument("perf needs batch >= 1, prompt-len >= 1 and gen-len >= 2")
        }
        guard promptLength + genLength <= config.maxPositionEmbeddings else {
            throw EngineError.contextTooLong(positions: promptLength + genLength, limit: config.maxPositionEmbeddings)
        }
        var g = SeededGenerator(seed: seed &+ UInt64(batch))
        let caches = (0..<batch).map { _ in KVCache(config: config, capacity: promptLength + genLength) }
        let prompts: [[Int32]] = (0..<batch).map { _ in
            (0..<promptLength).map { _ in Int32(g.next() % UInt64(config.vocabSize)) }
        }

        var inputs = (0..<batch).map { EngineInput(cache: caches[$0], tokens: prompts[$0]) }
        let prefillStart = DispatchTime.now().uptimeNanoseconds
        var logits = try await engine.forward(inputs)
        let prefillSeconds = Double(DispatchTime.now().uptimeNanoseconds - prefillStart) / 1e9

        let trafficBefore = engine.traffic.snapshot()
        let steps = genLength - 1
        let decodeStart = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<steps {
            for b in 0..<batch {
                let token = VectorOps.argmax(logits.row(b), count: logits.cols)
                inputs[b].tokens[0] = Int32(token)
                inputs[b].tokens.removeLast(inputs[b].tokens.count - 1)
            }
            logits = try await engine.forward(inputs)
        }
        let decodeSeconds = Double(DispatchTime.now().uptimeNanoseconds - decodeStart) / 1e9
        let expertBytes = expertBytesStreamed(config, from: trafficBefore, to: engine.traffic.snapshot())

        let prefillTokens = Double(batch * promptLength)
        let decodeTokens = Double(batch * steps)
        let prefillFlops = prefillTokens * flopsPerToken(config, head: false) + Double(batch) * 2 * Double(config.vocabSize * config.hiddenSize)
        let decodeFlops = decodeTokens * flopsPerToken(config, head: true)
        let stepBytes = Double(routerBytesPerStep(config)) + Double(expertBytes) / Double(steps)
        return Result(
            batch: batch,
            prefillTokensPerSecond: prefillTokens / prefillSeconds,
            decodeTokensPerSecond: decodeTokens / decodeSeconds,
            prefillGFLOPS: prefillFlops / prefillSeconds / 1e9,
            decodeGFLOPS: decodeFlops / decodeSeconds / 1e9,
            decodeWeightGBS: stepBytes * Double(steps) / decodeSeconds / 1e9,
            endToEndTokensPerSecond: Double(batch * genLength) / (prefillSeconds + decodeSeconds)
        )
    }

    /// Matmul FLOPs of one token through every layer (routed experts at top-k), with or without the head.
    public static func flopsPerToken(_ config: ModelConfig, head: Bool) -> Double {
        let h = Double(config.hiddenSize)
        var params = 0.0
        for layer in 0..<config.numLayers {
            params += h * Double(config.qDim + 2 * config.kvDim) + Double(config.qDim) * h
            if config.isSparse(layer: layer) {
                params += Double(config.numExperts) * h
                params += Double(config.topK) * 3 * h * Double(config.moeIntermediateSize)
                if config.hasSharedExpert { params += 3 * h * Double(config.sharedExpertIntermediateSize) + h }
            } else {
                params += 3 * h * Double(config.intermediateSize)
            }
        }
        if head { params += h * Double(config.vocabSize) }
        return 2 * params
    }

    /// Bytes of backbone weights (everything but the experts) one decode step reads (attention, gates, norms, head; not embeddings).
    static func routerBytesPerStep(_ config: ModelConfig) -> Int {
        let h = config.hiddenSize
        var floats = config.vocabSize * h
        for layer in 0..<config.numLayers {
            floats += h * (config.qDim + 2 * config.kvDim) + config.qDim * h
            if config.isSparse(layer: layer) { floats += config.numExperts * h }
        }
        return floats * MemoryLayout<Float>.stride
    }

    /// A Mixtral-shaped configuration equal to the `bench` preset's (hidden 1024, 8 layers, 16 heads,
    /// 4 KV heads, 8 experts top-2 of intermediate 2048, vocab 32000), for synthetic runs.
    public static var benchConfig: ModelConfig {
        ModelInitializer.config(family: .mixtral, preset: .bench)
    }
}

/// Counts the expert weight bytes decode steps read: each expert routed at least one row in a step is read once.
/// Expert weight bytes (f32) streamed between two traffic snapshots: each expert's weights once per
/// layer call in which it had tokens.
func expertBytesStreamed(_ config: ModelConfig, from before: ExpertTraffic.Snapshot, to after: ExpertTraffic.Snapshot) -> Int {
    var bytes = 0
    for layer in 0..<after.layers {
        for expert in 0..<config.ffnExperts(layer: layer) {
            let calls = Int(after.calls(layer: layer, expert: expert) - before.calls(layer: layer, expert: expert))
            bytes += calls * 3 * config.hiddenSize * config.expertIntermediateSize(layer: layer, expert: expert) * MemoryLayout<Float>.stride
        }
    }
    return bytes
}
