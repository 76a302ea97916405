import SwitchyardModel
import SwitchyardTokenizer
import Foundation
import SwitchyardTensor

/// Writes random-weight checkpoints in the Hugging Face layout (`init-model`): `config.json`,
/// `generation_config.json` and safetensors (per-expert Hub names; sharded with an index above
/// `maxShardBytes`), which transformers and `Checkpoint` both load.
///
/// Weights are deterministic from the seed (each tensor's stream depends on seed and name only)
/// and scaled so the model behaves like a trained one in the ways tests need: decisive routing
/// (router logits with std ~3) and a peaked next-token distribution (embeddings std 1, projections
/// std 1/sqrt(fan_in), norms ~1), not the near-uniform outputs of std-0.02 initialisation.
public enum ModelInitializer {
    /// What was written.
    public struct Summary: Sendable {
        public var files: [String]
        public var parameters: Int
        public var bytes: Int
    }

    /// The default shard size: files above it are split (`model-0000k-of-0000n.safetensors` + index).
    public static let defaultMaxShardBytes = 1 << 30

    /// Writes a checkpoint of `config` with weights stored as `dtype` into `directory` (created if needed).
    @discardableResult
    public static func write(config: ModelConfig, dtype: DType, seed: UInt64, to directory: URL,
                             maxShardBytes: Int = defaultMaxShardBytes) throws -> Summary {
        var config = config
        config.dtype = dtype
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ModelError.io(path: directory.path, reason: "cannot create directory: \(error.localizedDescription)")
        }
        try writeText(configJSON(config), to: directory.appendingPathComponent("config.json"))
        try writeText(generationConfigJSON(config), to: directory.appendingPathComponent("generation_config.json"))

        let tensors = WeightNames.allTensors(config)
        let shards = planShards(tensors, dtype: dtype, maxShardBytes: maxShardBytes)
        var files: [String] = []
        var weightMap: [String: JSONOut] = [:]
        for (index, shard) in shards.enumerated() {
            let name = shards.count == 1 ? CheckpointLayout.singleFile
                : String(format: "model-%05d-of-%05d.safetensors", index + 1, shards.count)
            files.append(name)
            for tensor in shard { weightMap[tensor.name] = .string(name) }
            try SafetensorsWriter.write(to: directory.appendingPathComponent(name), tensors: shard, dtype: dtype,
                                        metadata: ["format": "pt"]) { tensorIndex, offset, chunk in
                fill(chunk, spec: shard[tensorIndex], elementOffset: offset, config: config, seed: seed)
            }
        }
        let parameters = tensors.reduce(0) { $0 + $1.elementCount }
        let bytes = parameters * dtype.byteSize
        let indexURL = directory.appendingPathComponent(CheckpointLayout.indexFile)
        if shards.count > 1 {
            let index = JSONOut.object([
                "metadata": .object(["total_size": .int(bytes), "total_parameters": .int(parameters)]),
                "weight_map": .object(weightMap),
            ])
            try writeText(index.render() + "\n", to: indexURL)
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(CheckpointLayout.singleFile))
        } else {
            try? FileManager.default.removeItem(at: indexURL)
        }
        return Summary(files: files, parameters: parameters, bytes: bytes)
    }

    /// Splits tensors, in order, into shards of at most `maxShardBytes` (a larger tensor gets its own).
    package static func planShards(_ tensors: [TensorSpec], dtype: DType, maxShardBytes: Int) -> [[TensorSpec]] {
        var shards: [[TensorSpec]] = [[]]
        var size = 0
        for tensor in tensors {
            let bytes = tensor.elementCount * dtype.byteSize
            if size + bytes > maxShardBytes, !shards[shards.count - 1].isEmpty {
                shards.append([])
                size = 0
            }
            shards[shards.count - 1].append(tensor)
            size += bytes
        }
        return shards
    }

    /// The (mean, std) of a tensor's initial values, by role.
    package static func distribution(of spec: TensorSpec, config: ModelConfig) -> (mean: Float, std: Float) {
        let name = spec.name
        let fanIn = Float(spec.shape.last ?? 1)
        if name == WeightNames.embedTokens { return (0, 1) }
        if name == WeightNames.lmHead { return (0, 2.5 / fanIn.squareRoot()) }
        if name.hasSuffix("norm.weight") { return (1, 0.1) }
        if name.hasSuffix(".bias") || name.hasSuffix("_proj_bias") { return (0, 0.1) }
        if name.hasSuffix("self_attn.sinks") { return (0, 1) }
        if name.hasSuffix("mlp.router.weight") { return (0, 3 / fanIn.squareRoot()) }
        // gpt_oss's fused experts are stored [E, in, out].
        if config.family.definition.interleavedGateUpExperts,
           name.hasSuffix("experts.gate_up_proj") || name.hasSuffix("experts.down_proj"), spec.shape.count == 3 {
            return (0, 1 / Float(spec.shape[1]).squareRoot())
        }
        if name.hasSuffix("shared_expert_gate.weight") { return (0, 1 / fanIn.squareRoot()) }
        if name.hasSuffix("e_score_correction_bias") { return (0, 0.3) }
        if name.hasSuffix(".gate.weight") { return (0, 3 / fanIn.squareRoot()) }
        return (0, 1 / fanIn.squareRoot())
    }

    /// Fills `chunk` with elements `elementOffset...` of tensor `spec`, reproducibly.
    package static func fill(_ chunk: UnsafeMutableBufferPointer<Float>, spec: TensorSpec, elementOffset: Int,
                     config: ModelConfig, seed: UInt64) {
        let (mean, std) = distribution(of: spec, config: config)
        // One stream per 2^20-element block so a chunk can start anywhere deterministically.
        let block = SafetensorsWriter.chunkElements
        var position = elementOffset
        var written = 0
        while written < chunk.count {
            let blockIndex = position / block
            var random = WeightRandom(seed: seed &+ UInt64(blockIndex) &* 0x9E37_79B9_7F4A_7C15, name: spec.name)
            let skip = position - blockIndex * block
            for _ in 0..<skip { _ = random.nextNormal() }
            let count = min(chunk.count - written, block - skip)
            for i in 0..<count {
                chunk[written + i] = mean + std * random.nextNormal()
            }
            written += count
            position += count
        }
    }

    private static func writeText(_ text: String, to url: URL) throws {
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw ModelError.io(path: url.path, reason: error.localizedDescription)
        }
    }
}
