import Foundation
import SwitchyardTensor

/// The in-process expert backend: computes FFN experts on this machine with `GroupedExperts`
/// (the computation workers run too), after checking the routes against the experts it holds.
public final class LocalExpertBackend: ExpertBackend, @unchecked Sendable {
    public let config: ModelConfig
    /// `experts[layer][expert]`, nil where not held.
    private let experts: [[ExpertFFN?]]
    /// The grouped computation (gather, per-expert SwiGLU, weighted scatter) that workers share.
    private let grouped: GroupedExperts
    /// Threads for concurrent expert compute; nil uses `BLAS.threadCount`. Set before the first call.
    public var threads: Int?

    /// Loads `experts` (all of the model when nil) from `checkpoint`, straight into the packed layout.
    public convenience init(checkpoint: Checkpoint, config: ModelConfig, experts keys: Set<ExpertKey>? = nil) throws {
        var loaded: [ExpertKey: ExpertFFN] = [:]
        let wanted = keys.map { $0.sorted() } ?? LocalExpertBackend.allKeys(config)
        for key in wanted {
            try Self.checkKey(key, config)
            loaded[key] = try checkpoint.packedExpertFFN(layer: key.layer, expert: key.expert)
        }
        try self.init(config: config, experts: loaded)
    }

    /// A backend over weights already in memory (synthetic models, tests), checking their shapes.
    public convenience init(config: ModelConfig, weights: [ExpertKey: ExpertFFNWeights]) throws {
        var loaded: [ExpertKey: ExpertFFN] = [:]
        for (key, w) in weights {
            try Self.checkKey(key, config)
            let size = config.expertIntermediateSize(layer: key.layer, expert: key.expert)
            let name = "model.layers.\(key.layer).mlp.experts.\(key.expert)"
            try BackboneWeights.check(name + ".gate_proj.weight", w.gate, [size, config.hiddenSize])
            try BackboneWeights.check(name + ".up_proj.weight", w.up, [size, config.hiddenSize])
            try BackboneWeights.check(name + ".down_proj.weight", w.down, [config.hiddenSize, size])
            loaded[key] = ExpertFFN(w, activation: config.expertActivation)
        }
        try self.init(config: config, experts: loaded)
    }

    /// A backend over packed experts, checking their keys and sizes against `config`.
    public init(config: ModelConfig, experts loaded: [ExpertKey: ExpertFFN]) throws {
        self.config = config
        var table: [[ExpertFFN?]] = (0..<config.numLayers).map { Array(repeating: nil, count: config.ffnExperts(layer: $0)) }
        for (key, ffn) in loaded {
            try Self.checkKey(key, config)
            let size = config.expertIntermediateSize(layer: key.layer, expert: key.expert)
            guard ffn.intermediateSize == size, ffn.hiddenSize == config.hiddenSize else {
                throw EngineError.weightShape(name: "model.layers.\(key.layer).mlp.experts.\(key.expert).down_proj.weight",
                                              expected: [config.hiddenSize, size], actual: [ffn.hiddenSize, ffn.intermediateSize])
            }
            table[key.layer][key.expert] = ffn
        }
        experts = table
        grouped = GroupedExperts(hiddenSize: config.hiddenSize)
    }

    private static func checkKey(_ key: ExpertKey, _ config: ModelConfig) throws {
        let layerExists = key.layer >= 0 && key.layer < config.numLayers
        guard layerExists, key.expert >= 0, key.expert < config.ffnExperts(layer: key.layer) else {
            throw EngineError.invalidRoute(layer: key.layer, expert: key.expert,
                                           experts: layerExists ? config.ffnExperts(layer: key.layer) : 0)
        }
    }

    /// Every FFN expert key of `config`, in order.
    public static func allKeys(_ config: ModelConfig) -> [ExpertKey] {
        (0..<config.numLayers).flatMap { l in (0..<config.ffnExperts(layer: l)).map { ExpertKey(layer: l, expert: $0) } }
    }

    /// The experts this backend holds.
    public var heldExperts: Set<ExpertKey> {
        var keys = Set<ExpertKey>()
        for (l, layer) in experts.enumerated() {
            for (e, ffn) in layer.enumerated() where ffn != nil { keys.insert(ExpertKey(layer: l, expert: e)) }
        }
        return keys
    }

    /// Bytes of expert weights held.
    public var byteCount: Int { experts.joined().reduce(0) { $0 + ($1?.byteCount ?? 0) } }

    public func computeFFN(layer: Int, microBatch: Int, input: Matrix, routes: ExpertRoutes, output: Matrix) async throws {
        try computeFFNSync(layer: layer, input: input, routes: routes, output: output)
    }

    /// The synchronous body of `computeFFN` (workers call it from their own compute thread).
    public func computeFFNSync(layer: Int, input: Matrix, routes: ExpertRoutes, output: Matrix) throws {
        let h = config.hiddenSize
        guard layer >= 0, layer < experts.count else {
            throw EngineError.shapeMismatch("layer \(layer) of a model with \(experts.count) layers")
        }
        guard input.cols == h, output.cols == h, input.rows == routes.rows,
              routes.expertIDs.count == routes.rows * routes.slotsPerRow,
              routes.weights.count == routes.expertIDs.count else {
            throw EngineError.shapeMismatch("FFN input \(input.rows)x\(input.cols), output cols \(output.cols), routes \(routes.rows) rows x \(routes.slotsPerRow) slots, hidden \(h)")
        }
        let layerExperts = experts[layer]
        let count = layerExperts.count
        for id in routes.expertIDs where id >= 0 {
            guard Int(id) < count else { throw EngineError.invalidRoute(layer: layer, expert: Int(id), experts: count) }
            guard layerExperts[Int(id)] != nil else { throw EngineError.expertNotLoaded(layer: layer, expert: Int(id)) }
        }
        grouped.compute(routes: routes, input: input, experts: layerExperts, output: output,
                        threads: threads ?? BLAS.threadCount)
    }
}
