import SwitchyardTools
import Foundation
import SwitchyardTensor
import Testing
import TestSupport
@testable import SwitchyardModel

/// A tiny checkpoint written by `ModelInitializer`, loaded back.
struct TinyCheckpoint {
    let directory: TemporaryDirectory
    let config: ModelConfig

    init(_ family: ModelFamily = .mixtral, dtype: DType = .f32, seed: UInt64 = 1, maxShardBytes: Int = 1 << 30,
         edit: (inout ModelConfig) -> Void = { _ in }) throws {
        directory = try TemporaryDirectory()
        var config = ModelInitializer.config(family: family, preset: .tiny, dtype: dtype)
        edit(&config)
        try ModelInitializer.write(config: config, dtype: dtype, seed: seed, to: directory.url, maxShardBytes: maxShardBytes)
        self.config = try ModelConfig.load(directory: directory.url)
    }

    func open(_ filter: TensorFilter = .all) throws -> Checkpoint {
        try Checkpoint(directory: directory.url, config: config, filter: filter)
    }
}

@Suite("Checkpoint loading")
struct CheckpointTests {
    @Test(arguments: ModelFamily.allCases)
    func everyTensorLoadsWithItsShape(family: ModelFamily) throws {
        let tiny = try TinyCheckpoint(family)
        let checkpoint = try tiny.open()
        let specs = WeightNames.allTensors(tiny.config)
        #expect(Set(checkpoint.tensorNames) == Set(specs.map(\.name)))
        for spec in specs {
            #expect(checkpoint.has(spec.name))
            let matrix = try checkpoint.matrix(spec.name, shape: spec.shape)
            #expect(matrix.count == spec.elementCount)
            #expect(matrix.toArray().allSatisfy { $0.isFinite })
        }
        for key in tiny.config.allExperts {
            let ffn = try checkpoint.expertFFN(layer: key.layer, expert: key.expert)
            let inner = tiny.config.expertIntermediateSize(layer: key.layer, expert: key.expert)
            #expect(ffn.gate.rows == inner && ffn.gate.cols == tiny.config.hiddenSize)
            #expect(ffn.down.rows == tiny.config.hiddenSize && ffn.down.cols == inner)
        }
        #expect(checkpoint.mappedBytes == checkpoint.fileBytes - checkpoint.files[0].header.dataOffset)
    }

    @Test func oneDimensionalTensorsComeBackAsOneRow() throws {
        let checkpoint = try TinyCheckpoint().open()
        let norm = try checkpoint.matrix(WeightNames.finalNorm, shape: [64])
        #expect(norm.rows == 1 && norm.cols == 64)
        #expect(try checkpoint.vector(WeightNames.finalNorm, count: 64) == norm.toArray())
    }

    @Test func shapeMismatchNamesFileAndTensor() throws {
        let checkpoint = try TinyCheckpoint().open()
        #expect { try checkpoint.matrix(WeightNames.embedTokens, shape: [512, 65]) } throws: { error in
            let text = String(describing: error)
            return text.contains("model.safetensors") && text.contains(WeightNames.embedTokens) && text.contains("[512, 64]")
        }
        #expect(throws: ModelError.missingTensor(name: "nope", directory: checkpoint.directory.path)) {
            try checkpoint.matrix("nope", shape: [1])
        }
        #expect(throws: ModelError.self) { try checkpoint.expertFFN(layer: 0, expert: 4) }
        #expect(throws: ModelError.self) { try checkpoint.expertFFN(layer: 2, expert: 0) }
    }

    @Test func shardedEqualsUnsharded() throws {
        let single = try TinyCheckpoint(seed: 5)
        let sharded = try TinyCheckpoint(seed: 5, maxShardBytes: 100_000)
        let files = try FileManager.default.contentsOfDirectory(atPath: sharded.directory.url.path)
        #expect(files.contains("model.safetensors.index.json"))
        #expect(files.filter { $0.hasSuffix(".safetensors") }.count > 3)
        #expect(!files.contains("model.safetensors"))
        let a = try single.open(), b = try sharded.open()
        #expect(b.files.count > 3)
        for spec in WeightNames.allTensors(single.config) {
            #expect(try a.matrix(spec.name, shape: spec.shape).toArray() == b.matrix(spec.name, shape: spec.shape).toArray())
        }
    }

    @Test func missingShardIsAClearError() throws {
        let sharded = try TinyCheckpoint(maxShardBytes: 100_000)
        let shard = sharded.directory.url.appendingPathComponent("model-00002-of-\(String(format: "%05d", try shardCount(sharded))).safetensors")
        try FileManager.default.removeItem(at: shard)
        #expect { try sharded.open() } throws: { error in
            let text = String(describing: error)
            return text.contains("model-00002-of-") && text.contains("missing")
        }
    }

    @Test func indexPointingAtTheWrongShardIsAClearError() throws {
        let sharded = try TinyCheckpoint(maxShardBytes: 100_000)
        let indexURL = sharded.directory.url.appendingPathComponent("model.safetensors.index.json")
        var index = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: indexURL)) as? [String: Any])
        var map = try #require(index["weight_map"] as? [String: String])
        let embedShard = try #require(map[WeightNames.embedTokens])
        #expect(map[WeightNames.finalNorm] != embedShard)
        map[WeightNames.finalNorm] = embedShard
        index["weight_map"] = map
        try JSONSerialization.data(withJSONObject: index).write(to: indexURL)
        #expect { try sharded.open() } throws: { error in
            let text = String(describing: error)
            return text.contains(WeightNames.finalNorm) && text.contains(embedShard)
        }
    }

    @Test func expertFilterMapsOnlyThatExpert() throws {
        let tiny = try TinyCheckpoint(.mixtral)
        let full = try tiny.open()
        let key = ExpertKey(layer: 1, expert: 2)
        let worker = try tiny.open(.experts([key]))
        let expertBytes = WeightNames.expertTensors(tiny.config, layer: 1, expert: 2).reduce(0) { $0 + $1.elementCount * 4 }
        #expect(worker.mappedBytes == expertBytes)
        #expect(worker.mappedBytes * 10 < full.fileBytes)
        let ffn = try worker.expertFFN(layer: 1, expert: 2)
        let reference = try full.expertFFN(layer: 1, expert: 2)
        #expect(ffn.gate.toArray() == reference.gate.toArray())
        #expect(ffn.up.toArray() == reference.up.toArray())
        #expect(ffn.down.toArray() == reference.down.toArray())
        #expect(!worker.has(WeightNames.embedTokens))
        #expect(throws: ModelError.self) { try worker.matrix(WeightNames.embedTokens, shape: [512, 64]) }
        #expect(throws: ModelError.self) { try worker.expertFFN(layer: 1, expert: 3) }
        #expect(throws: ModelError.self) { try worker.packedExpertFFN(layer: 1, expert: 3) }
        #expect(throws: ModelError.self) { try tiny.open(.experts([ExpertKey(layer: 0, expert: 9)])) }
    }

    @Test("an expert packed straight from the checkpoint equals the packed f32 copy", arguments: [DType.f32, .bf16])
    func packedExpertMatchesCopy(dtype: DType) throws {
        let tiny = try TinyCheckpoint(.mixtral, dtype: dtype)
        let checkpoint = try tiny.open()
        for key in [ExpertKey(layer: 0, expert: 0), ExpertKey(layer: 1, expert: 3)] {
            let direct = try checkpoint.packedExpertFFN(layer: key.layer, expert: key.expert)
            let copy = ExpertFFN(try checkpoint.expertFFN(layer: key.layer, expert: key.expert))
            #expect(direct.gateUp.unpacked().toArray() == copy.gateUp.unpacked().toArray())
            #expect(direct.down.unpacked().toArray() == copy.down.unpacked().toArray())
            #expect(direct.intermediateSize == copy.intermediateSize && direct.hiddenSize == copy.hiddenSize)
        }
    }

    @Test func nonExpertFilterSkipsEveryExpert() throws {
        let tiny = try TinyCheckpoint(.qwen2_moe)
        let router = try tiny.open(.nonExperts)
        let routerBytes = WeightNames.nonExpertTensors(tiny.config).reduce(0) { $0 + $1.elementCount * 4 }
        #expect(router.mappedBytes == routerBytes)
        for spec in WeightNames.nonExpertTensors(tiny.config) {
            #expect(router.has(spec.name))
            _ = try router.matrix(spec.name, shape: spec.shape)
        }
        #expect(!router.has(WeightNames.expertProjection(tiny.config, layer: 0, expert: 0, .gate)))
        #expect(throws: ModelError.self) { try router.expertFFN(layer: 0, expert: 0) }
    }

    @Test func shardedWorkerOpensOnlyShardsWithItsExperts() throws {
        let sharded = try TinyCheckpoint(maxShardBytes: 100_000)
        let worker = try sharded.open(.experts([ExpertKey(layer: 0, expert: 0)]))
        let full = try sharded.open()
        #expect(worker.files.count < full.files.count)
        #expect(worker.mappedBytes == WeightNames.expertTensors(sharded.config, layer: 0, expert: 0).reduce(0) { $0 + $1.elementCount * 4 })
    }

    @Test func qwen2SharedExpertAndDenseLayers() throws {
        let tiny = try TinyCheckpoint(.qwen2_moe) { $0.decoderSparseStep = 2 }
        #expect(!tiny.config.isSparse(layer: 0) && tiny.config.isSparse(layer: 1))
        let checkpoint = try tiny.open()
        let dense = try checkpoint.expertFFN(layer: 0, expert: 0)
        #expect(dense.intermediateSize == tiny.config.intermediateSize)
        let shared = try checkpoint.expertFFN(layer: 1, expert: tiny.config.numExperts)
        #expect(shared.intermediateSize == tiny.config.sharedExpertIntermediateSize)
        let routed = try checkpoint.expertFFN(layer: 1, expert: 3)
        #expect(routed.intermediateSize == tiny.config.moeIntermediateSize)
        #expect(checkpoint.has(WeightNames.sharedExpertGate(layer: 1)))
        #expect(!checkpoint.has(WeightNames.routerGate(.qwen2_moe, layer: 0)))
        #expect(throws: ModelError.self) { try checkpoint.expertFFN(layer: 0, expert: 1) }
    }

    @Test func bf16CheckpointLoadsAsRoundedF32() throws {
        let f32 = try TinyCheckpoint(.olmoe, dtype: .f32, seed: 3).open()
        let bf16 = try TinyCheckpoint(.olmoe, dtype: .bf16, seed: 3).open()
        #expect(bf16.info(WeightNames.embedTokens)?.dtype == .bf16)
        let exact = try f32.matrix(WeightNames.embedTokens, shape: [512, 64]).toArray()
        let rounded = try bf16.matrix(WeightNames.embedTokens, shape: [512, 64]).toArray()
        #expect(zip(exact, rounded).allSatisfy { DTypeConversion.bf16BitsToFloat(DTypeConversion.floatToBF16Bits($0)) == $1 })
    }

    @Test(arguments: [ModelFamily.mixtral, .qwen3_moe])
    func fusedExpertLayoutMatchesPerExpert(family: ModelFamily) throws {
        let tiny = try TinyCheckpoint(family, seed: 9)
        let reference = try tiny.open()
        let config = tiny.config
        let fused = try TemporaryDirectory()
        try FileManager.default.copyItem(at: tiny.directory.url.appendingPathComponent("config.json"),
                                         to: fused.url.appendingPathComponent("config.json"))
        // The transformers 5.x in-memory layout: fused experts, Mixtral's block renamed `mlp`.
        var specs: [TensorSpec] = []
        var sources: [[Float]] = []
        for spec in WeightNames.nonExpertTensors(config) {
            specs.append(TensorSpec(name: spec.name.replacingOccurrences(of: ".block_sparse_moe.", with: ".mlp."), shape: spec.shape))
            sources.append(try reference.matrix(spec.name, shape: spec.shape).toArray())
        }
        let inner = config.moeIntermediateSize, hidden = config.hiddenSize
        for layer in 0..<config.numLayers {
            var gateUp: [Float] = [], down: [Float] = []
            for expert in 0..<config.numExperts {
                let ffn = try reference.expertFFN(layer: layer, expert: expert)
                gateUp += ffn.gate.toArray() + ffn.up.toArray()
                down += ffn.down.toArray()
            }
            specs.append(TensorSpec(name: WeightNames.fusedGateUp(layer: layer), shape: [config.numExperts, 2 * inner, hidden]))
            sources.append(gateUp)
            specs.append(TensorSpec(name: WeightNames.fusedDown(layer: layer), shape: [config.numExperts, hidden, inner]))
            sources.append(down)
        }
        try SafetensorsWriter.write(to: fused.url.appendingPathComponent("model.safetensors"), tensors: specs, dtype: .f32) { index, offset, chunk in
            for i in 0..<chunk.count { chunk[i] = sources[index][offset + i] }
        }
        let loaded = try Checkpoint(directory: fused.url, config: config)
        #expect(loaded.has(WeightNames.routerGate(family, layer: 1)))
        #expect(try loaded.matrix(WeightNames.routerGate(family, layer: 1), shape: [config.numExperts, hidden]).toArray()
                == reference.matrix(WeightNames.routerGate(family, layer: 1), shape: [config.numExperts, hidden]).toArray())
        for key in config.allExperts {
            let a = try loaded.expertFFN(layer: key.layer, expert: key.expert)
            let b = try reference.expertFFN(layer: key.layer, expert: key.expert)
            #expect(a.gate.toArray() == b.gate.toArray() && a.up.toArray() == b.up.toArray() && a.down.toArray() == b.down.toArray())
        }
        // A worker with one expert maps only that expert's slices of the fused tensors.
        let key = ExpertKey(layer: 1, expert: 3)
        let worker = try Checkpoint(directory: fused.url, config: config, filter: .experts([key]))
        #expect(worker.mappedBytes == 3 * inner * hidden * 4)
        let sliced = try worker.expertFFN(layer: 1, expert: 3)
        #expect(sliced.down.toArray() == (try reference.expertFFN(layer: 1, expert: 3)).down.toArray())
        let packed = try worker.packedExpertFFN(layer: 1, expert: 3)
        let expected = Matrix.stacked([sliced.gate, sliced.up])
        #expect(packed.gateUp.unpacked().toArray() == expected.toArray())
        #expect(packed.down.unpacked().toArray() == sliced.down.toArray())
        #expect(throws: ModelError.self) { try worker.expertFFN(layer: 1, expert: 2) }
    }

    @Test func missingSafetensorsIsAClearError() throws {
        let tiny = try TinyCheckpoint()
        try FileManager.default.removeItem(at: tiny.directory.url.appendingPathComponent("model.safetensors"))
        #expect { try tiny.open() } throws: { String(describing: $0).contains("no model.safetensors") }
    }

    private func shardCount(_ checkpoint: TinyCheckpoint) throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: checkpoint.directory.url.path).filter { $0.hasSuffix(".safetensors") }.count
    }
}

@Suite("Golden fixtures load")
struct GoldenFixtureLoadTests {
    @Test func everyFixtureDecodesAndItsCheckpointHoldsExactlyTheExpectedTensors() throws {
        let fixtures = try GoldenFixture.all()
        #expect(fixtures.count >= 6)
        #expect(Set(fixtures.map(\.family)) == Set(ModelFamily.allCases.map(\.rawValue)))
        for fixture in fixtures {
            let config = try ModelConfig.load(directory: fixture.directory)
            #expect(config.family.rawValue == fixture.family)
            #expect(config.vocabSize == fixture.vocabSize)
            #expect(fixture.prompts.count >= 5 && fixture.prompts.contains { $0.tokenIDs.count == 1 } && fixture.prompts.contains { $0.tokenIDs.count >= 40 })
            let checkpoint = try Checkpoint(directory: fixture.directory, config: config)
            var expected = WeightNames.allTensors(config)
            var packed: Set<String> = []
            if checkpoint.info(WeightNames.fusedGateUp(layer: 0) + "_blocks") != nil {
                // gpt_oss MXFP4: blocks and scales (U8) instead of the fused projections.
                let fused = Set((0..<config.numLayers).flatMap { [WeightNames.fusedGateUp(layer: $0), WeightNames.fusedDown(layer: $0)] })
                let mxfp4 = (0..<config.numLayers).flatMap { WeightNames.mxfp4ExpertTensors(config, layer: $0) }
                expected = expected.filter { !fused.contains($0.name) } + mxfp4
                packed = Set(mxfp4.map(\.name))
            }
            #expect(Set(checkpoint.tensorNames) == Set(expected.map(\.name)), "\(fixture.name)")
            for spec in expected {
                #expect(checkpoint.info(spec.name)?.shape == spec.shape, "\(fixture.name): \(spec.name)")
                #expect(checkpoint.info(spec.name)?.dtype.rawValue == (packed.contains(spec.name) ? "U8" : fixture.dtype))
            }
            for key in config.allExperts {
                _ = try checkpoint.expertFFN(layer: key.layer, expert: key.expert)
            }
            for prompt in fixture.prompts {
                let total = prompt.lastLogprobs.reduce(0) { $0 + exp($1) }
                #expect(abs(total - 1) < 1e-4)
            }
        }
    }

    @Test func fixtureFeaturesAreWhatTheNamesSay() throws {
        let sharded = try GoldenFixture.load("qwen2_moe_sharded")
        #expect(FileManager.default.fileExists(atPath: sharded.directory.appendingPathComponent("model.safetensors.index.json").path))
        let step = try ModelConfig.load(directory: GoldenFixture.load("qwen2_moe_sparse_step").directory)
        #expect((0..<4).map { step.isSparse(layer: $0) } == [false, true, false, false])
        let tied = try ModelConfig.load(directory: GoldenFixture.load("qwen3_moe_tied").directory)
        #expect(tied.tieWordEmbeddings && tied.headDim == 16 && tied.qkNorm == .perHead)
        let sliding = try ModelConfig.load(directory: GoldenFixture.load("mixtral_bf16_sliding").directory)
        #expect(sliding.slidingWindow == 8 && sliding.ropeTheta == 10_000)
        let olmoe = try ModelConfig.load(directory: GoldenFixture.load("olmoe_clip").directory)
        #expect(olmoe.clipQKV == 1.5 && olmoe.qkNorm == .full)
    }
}
