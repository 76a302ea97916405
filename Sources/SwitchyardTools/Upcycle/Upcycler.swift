import Foundation
import SwitchyardModel
import SwitchyardTensor

/// Writes an MoE checkpoint (a `MixtralForCausalLM` Hugging Face directory) from a dense model,
/// streaming tensor by tensor: the dense tensors are copied chunk by chunk and each layer's experts
/// are built from that layer's FFN alone, so peak memory is about one layer's FFN.
public enum Upcycler {
    /// What was written.
    public struct Summary: Sendable {
        /// Files written, with their sizes in bytes.
        public var files: [(name: String, bytes: Int)]
        public var parameters: Int
        public var denseParameters: Int
        /// Parameters one token uses: everything but the FFNs, plus `topK` experts per layer.
        public var activeParameters: Int
        public var experts: Int
        public var topK: Int
        public var expertIntermediateSize: Int
        public var dtype: DType
        /// Mean cosine similarity of neurons to their cluster centroid over layers (split only).
        public var meanClusterSimilarity: Float?
    }

    /// Upcycles `source` into `directory` (created if needed). Checks the whole plan (flags, every
    /// dense tensor's shape) before writing anything.
    public static func run(source: any DenseCheckpointSource, options: UpcycleOptions, to directory: URL) throws -> Summary {
        let shape = source.shape
        try options.validate(for: shape)
        let dtype = options.dtype ?? source.storedDType ?? .f32
        let expertSize = options.expertIntermediateSize(for: shape)
        let list = UpcycleTensorList(shape: shape, experts: options.experts, expertIntermediateSize: expertSize)
        for entry in list.entries where entry.origin == .dense {
            try checkShape(source, entry.spec.name, entry.spec.shape)
        }
        for layer in 0..<shape.numLayers {
            let names = shape.ffnTensors(layer: layer)
            let (hidden, size) = (shape.hiddenSize, shape.intermediateSize)
            try checkShape(source, names.gate, [size, hidden])
            try checkShape(source, names.up, [size, hidden])
            try checkShape(source, names.down, [hidden, size])
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ModelError.io(path: directory.path, reason: "cannot create directory: \(error.localizedDescription)")
        }

        var files: [(String, Int)] = []
        for name in try source.writeTokenizerFiles(to: directory) {
            files.append((name, fileSize(directory.appendingPathComponent(name))))
        }
        let provenance: [String: JSONOut] = [
            "mode": .string(options.mode.rawValue), "experts": .int(options.experts), "top_k": .int(options.topK),
            "seed": .int(Int(truncatingIfNeeded: options.seed)), "source": .string((source.path as NSString).lastPathComponent),
        ]
        let config = UpcycleConfig.mixtralJSON(dense: source.configObject, shape: shape, experts: options.experts,
                                               topK: options.topK, expertIntermediateSize: expertSize, dtype: dtype,
                                               provenance: provenance)
        try write(config, to: directory.appendingPathComponent("config.json"))
        files.insert(("config.json", fileSize(directory.appendingPathComponent("config.json"))), at: 0)

        let cache = LayerCache(source: source, options: options)
        let shards = ModelInitializer.planShards(list.entries.map(\.spec), dtype: dtype, maxShardBytes: options.maxShardBytes)
        let origins = Dictionary(uniqueKeysWithValues: list.entries.map { ($0.spec.name, $0.origin) })
        var weightMap: [String: JSONOut] = [:]
        for (index, shard) in shards.enumerated() {
            let name = shards.count == 1 ? CheckpointLayout.singleFile
                : String(format: "model-%05d-of-%05d.safetensors", index + 1, shards.count)
            for tensor in shard { weightMap[tensor.name] = .string(name) }
            let url = directory.appendingPathComponent(name)
            try SafetensorsWriter.write(to: url, tensors: shard, dtype: dtype, metadata: ["format": "pt"]) { tensorIndex, offset, chunk in
                let spec = shard[tensorIndex]
                try cache.fill(spec: spec, origin: origins[spec.name]!, elementOffset: offset, chunk: chunk)
            }
            files.append((name, fileSize(url)))
        }
        let indexURL = directory.appendingPathComponent(CheckpointLayout.indexFile)
        if shards.count > 1 {
            let index = JSONOut.object([
                "metadata": .object(["total_size": .int(list.parameterCount * dtype.byteSize), "total_parameters": .int(list.parameterCount)]),
                "weight_map": .object(weightMap),
            ])
            try write(index.render() + "\n", to: indexURL)
            files.append((CheckpointLayout.indexFile, fileSize(indexURL)))
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(CheckpointLayout.singleFile))
        } else {
            try? FileManager.default.removeItem(at: indexURL)
        }
        let ffnPerExpert = 3 * shape.hiddenSize * expertSize
        let routed = shape.numLayers * options.experts * ffnPerExpert
        let active = list.parameterCount - routed + shape.numLayers * options.topK * ffnPerExpert
        return Summary(files: files, parameters: list.parameterCount, denseParameters: shape.parameterCount,
                       activeParameters: active, experts: options.experts, topK: options.topK,
                       expertIntermediateSize: expertSize, dtype: dtype,
                       meanClusterSimilarity: cache.similarities.isEmpty ? nil : cache.similarities.reduce(0, +) / Float(cache.similarities.count))
    }

    static func checkShape(_ source: any DenseCheckpointSource, _ name: String, _ expected: [Int]) throws {
        guard let actual = source.tensorShape(name) else {
            throw UpcycleError.badTensor(name: name, reason: "missing from \(source.path)")
        }
        guard actual == expected else {
            throw UpcycleError.badTensor(name: name, reason: "shape \(actual) in \(source.path), expected \(expected) from the config")
        }
    }

    static func write(_ text: String, to url: URL) throws {
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw ModelError.io(path: url.path, reason: error.localizedDescription)
        }
    }

    static func fileSize(_ url: URL) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.intValue ?? 0
    }
}

/// The plan of the layer being written and the values of the tensor being written: what lets the
/// writer's chunked callback stream experts without holding more than one layer.
final class LayerCache {
    let source: any DenseCheckpointSource
    let options: UpcycleOptions
    private var layer = -1
    private var plan: (any UpcycleLayerPlan)?
    private var tensorName = ""
    private var values: [Float] = []
    /// Mean centroid similarity of every split layer built so far.
    private(set) var similarities: [Float] = []

    init(source: any DenseCheckpointSource, options: UpcycleOptions) {
        self.source = source
        self.options = options
    }

    func fill(spec: TensorSpec, origin: UpcycleTensorList.Origin, elementOffset: Int, chunk: UnsafeMutableBufferPointer<Float>) throws {
        guard let layer = origin.layer else {
            return try source.read(spec.name, elementOffset: elementOffset, into: chunk)
        }
        if spec.name != tensorName {
            let plan = try plan(for: layer)
            switch origin {
            case .router: values = plan.routerWeight()
            case let .expert(_, expert, projection): values = plan.expertWeight(expert, projection)
            case .dense: break
            }
            precondition(values.count == spec.elementCount, "\(spec.name): built \(values.count) values for \(spec.shape)")
            tensorName = spec.name
        }
        values.withUnsafeBufferPointer { chunk.baseAddress!.update(from: $0.baseAddress! + elementOffset, count: chunk.count) }
    }

    private func plan(for layer: Int) throws -> any UpcycleLayerPlan {
        if layer == self.layer, let plan { return plan }
        plan = nil
        let built: any UpcycleLayerPlan
        switch options.mode {
        case .copy:
            built = try CopyLayerPlan(source: source, layer: layer, experts: options.experts, seed: options.seed)
        case .split:
            let split = try SplitLayerPlan(source: source, layer: layer, experts: options.experts, topK: options.topK, seed: options.seed)
            similarities.append(split.clustering.meanSimilarity)
            built = split
        }
        self.layer = layer
        plan = built
        return built
    }
}
