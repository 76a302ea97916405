import SwitchyardTools
import Foundation
import SwitchyardTensor
import Testing
import TestSupport
@testable import SwitchyardModel

@Suite("ModelInitializer (init-model)")
struct ModelInitializerTests {
    @Test(arguments: ModelFamily.allCases)
    func configRoundTrips(family: ModelFamily) throws {
        for preset in ModelInitializer.Preset.allCases {
            let config = ModelInitializer.config(family: family, preset: preset, dtype: .bf16)
            let parsed = try ModelConfig.decode(configJSON: Data(ModelInitializer.configJSON(config).utf8),
                                                generationConfigJSON: Data(ModelInitializer.generationConfigJSON(config).utf8))
            #expect(parsed == config, "\(family) \(preset)")
        }
    }

    @Test func customConfigFieldsRoundTrip() throws {
        var config = ModelInitializer.config(family: .qwen2_moe, preset: .tiny)
        config.decoderSparseStep = 2
        config.mlpOnlyLayers = [1]
        config.tieWordEmbeddings = true
        config.slidingWindow = 8
        config.slidingWindowLayers = [0]
        config.eosTokenIDs = [2, 3]
        let parsed = try ModelConfig.decode(configJSON: Data(ModelInitializer.configJSON(config).utf8))
        #expect(parsed == config)
        var olmoe = ModelInitializer.config(family: .olmoe, preset: .tiny)
        olmoe.clipQKV = 4.5
        olmoe.attentionBias = true
        olmoe.outputBias = true
        #expect(try ModelConfig.decode(configJSON: Data(ModelInitializer.configJSON(olmoe).utf8)) == olmoe)
    }

    @Test func benchPresetIsMixtralShaped() {
        let config = ModelInitializer.config(family: .mixtral, preset: .bench)
        #expect(config.hiddenSize == 1024 && config.moeIntermediateSize == 2048 && config.numLayers == 8)
        #expect(config.numHeads == 16 && config.numKVHeads == 4 && config.numExperts == 8 && config.topK == 2)
        #expect(config.vocabSize == 32000)
        let parameters = WeightNames.allTensors(config).reduce(0) { $0 + $1.elementCount }
        #expect(abs(Double(parameters) - 0.49e9) < 0.01e9, "\(parameters)")
    }

    @Test func sameSeedSameBytesDifferentSeedDifferentBytes() throws {
        let config = ModelInitializer.config(family: .olmoe, preset: .tiny)
        let a = try TemporaryDirectory(), b = try TemporaryDirectory(), c = try TemporaryDirectory()
        try ModelInitializer.write(config: config, dtype: .bf16, seed: 42, to: a.url)
        try ModelInitializer.write(config: config, dtype: .bf16, seed: 42, to: b.url)
        try ModelInitializer.write(config: config, dtype: .bf16, seed: 43, to: c.url)
        for name in ["config.json", "generation_config.json", "model.safetensors"] {
            #expect(try Data(contentsOf: a.url.appendingPathComponent(name)) == Data(contentsOf: b.url.appendingPathComponent(name)))
        }
        #expect(try Data(contentsOf: a.url.appendingPathComponent("model.safetensors")) != Data(contentsOf: c.url.appendingPathComponent("model.safetensors")))
    }

    @Test func weightScalesMakeRoutingDecisive() throws {
        let tiny = try TinyCheckpoint(.mixtral, seed: 2)
        let checkpoint = try tiny.open()
        let hidden = Float(tiny.config.hiddenSize)
        func std(_ values: [Float]) -> (mean: Float, std: Float) {
            let mean = values.reduce(0, +) / Float(values.count)
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)
            return (mean, variance.squareRoot())
        }
        let embed = std(try checkpoint.matrix(WeightNames.embedTokens, shape: [512, 64]).toArray())
        #expect(abs(embed.mean) < 0.05 && abs(embed.std - 1) < 0.05)
        let gate = std(try checkpoint.matrix(WeightNames.routerGate(.mixtral, layer: 0), shape: [4, 64]).toArray())
        #expect(abs(gate.std - 3 / hidden.squareRoot()) < 0.08)
        let norm = std(try checkpoint.vector(WeightNames.inputNorm(layer: 0), count: 64))
        #expect(abs(norm.mean - 1) < 0.05)
        let q = std(try checkpoint.matrix(WeightNames.qProj(layer: 0), shape: [64, 64]).toArray())
        #expect(abs(q.std - 1 / hidden.squareRoot()) < 0.02)
    }

    @Test func shardPlanRespectsTheLimit() {
        let specs = (0..<10).map { TensorSpec(name: "t\($0)", shape: [100]) }
        let shards = ModelInitializer.planShards(specs, dtype: .f32, maxShardBytes: 1000)
        #expect(shards.map(\.count) == [2, 2, 2, 2, 2])
        let big = ModelInitializer.planShards([TensorSpec(name: "big", shape: [1000])] + specs, dtype: .f32, maxShardBytes: 1000)
        #expect(big[0].map(\.name) == ["big"])
    }

    @Test func randomStreamIsStable() {
        var random = WeightRandom(seed: 1, name: "x")
        var again = WeightRandom(seed: 1, name: "x")
        var other = WeightRandom(seed: 1, name: "y")
        let a = (0..<8).map { _ in random.nextNormal() }
        #expect(a == (0..<8).map { _ in again.nextNormal() })
        #expect(a != (0..<8).map { _ in other.nextNormal() })
        var many = WeightRandom(seed: 3)
        let samples = (0..<100_000).map { _ in many.nextNormal() }
        let mean = samples.reduce(0, +) / Float(samples.count)
        let variance = samples.reduce(0) { $0 + $1 * $1 } / Float(samples.count) - mean * mean
        #expect(abs(mean) < 0.02 && abs(variance - 1) < 0.02)
    }
}
