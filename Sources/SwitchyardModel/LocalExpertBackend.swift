import Foundation
import SwitchyardTensor

/// The in-process expert backend: computes FFN experts on this machine, grouped.
///
/// Rows are sorted by expert (counting sort over the routes), each expert's rows are gathered into
/// one block and computed with one gate-up matmul and one down matmul, and results are scaled by
/// their route weight and added back to their rows. Scratch buffers come from a small pool, so
/// two micro-batches may call concurrently and steady-state calls allocate nothing.
public final class LocalExpertBackend: ExpertBackend, @unchecked Sendable {
    public let config: ModelConfig
    /// `experts[layer][expert]`, nil where not held.
    private let experts: [[ExpertFFN?]]
    private let lock = NSLock()
    private var pool: [LocalExpertBackendScratch] = []

    /// Loads `experts` (all of the model when nil) from `checkpoint`.
    public convenience init(checkpoint: Checkpoint, config: ModelConfig, experts keys: Set<ExpertKey>? = nil) throws {
        var weights: [ExpertKey: ExpertFFNWeights] = [:]
        let wanted = keys.map { $0.sorted() } ?? LocalExpertBackend.allKeys(config)
        for key in wanted {
            guard key.layer >= 0, key.layer < config.numLayers, key.expert >= 0, key.expert < config.ffnExperts(layer: key.layer) else {
                throw EngineError.invalidRoute(layer: key.layer, expert: key.expert,
                                               experts: key.layer >= 0 && key.layer < config.numLayers ? config.ffnExperts(layer: key.layer) : 0)
            }
            weights[key] = try checkpoint.expertFFN(layer: key.layer, expert: key.expert)
        }
        try self.init(config: config, weights: weights)
    }

    /// A backend over weights already in memory (synthetic models, tests), checking their shapes.
    public init(config: ModelConfig, weights: [ExpertKey: ExpertFFNWeights]) throws {
        self.config = config
        var table: [[ExpertFFN?]] = (0..<config.numLayers).map { Array(repeating: nil, count: config.ffnExperts(layer: $0)) }
        for (key, w) in weights {
            guard key.layer >= 0, key.layer < config.numLayers, key.expert >= 0, key.expert < table[key.layer].count else {
                throw EngineError.invalidRoute(layer: key.layer, expert: key.expert, experts: 0)
            }
            let size = config.expertIntermediateSize(layer: key.layer, expert: key.expert)
            let name = "model.layers.\(key.layer).mlp.experts.\(key.expert)"
            try RouterWeights.check(name + ".gate_proj.weight", w.gate, [size, config.hiddenSize])
            try RouterWeights.check(name + ".up_proj.weight", w.up, [size, config.hiddenSize])
            try RouterWeights.check(name + ".down_proj.weight", w.down, [config.hiddenSize, size])
            table[key.layer][key.expert] = ExpertFFN(w)
        }
        experts = table
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
        output.resize(rows: routes.rows)
        output.zero()
        guard routes.rows > 0 else { return }

        let scratch = takeScratch()
        defer { returnScratch(scratch) }
        scratch.prepare(routes: routes, experts: count)

        let assigned = scratch.assigned
        scratch.gathered.resize(rows: assigned)
        scratch.results.resize(rows: assigned)
        for pos in 0..<assigned {
            let row = Int(scratch.order[pos]) / routes.slotsPerRow
            scratch.gathered.row(pos).update(from: input.row(row), count: h)
        }
        for e in 0..<count {
            let start = scratch.offsets[e]
            let rows = scratch.offsets[e + 1] - start
            guard rows > 0, let ffn = layerExperts[e] else { continue }
            let i = ffn.intermediateSize
            scratch.hidden.resize(rows: rows * 2 * i)
            scratch.activated.resize(rows: rows * i)
            ffn.compute(input: scratch.gathered.row(start), rows: rows, output: scratch.results.row(start),
                        hidden: scratch.hidden.base, activated: scratch.activated.base)
        }
        routes.weights.withUnsafeBufferPointer { weights in
            for pos in 0..<assigned {
                let slot = Int(scratch.order[pos])
                VectorOps.addScaled(scratch.results.row(pos), alpha: weights[slot],
                                    into: output.row(slot / routes.slotsPerRow), count: h)
            }
        }
    }

    private func takeScratch() -> LocalExpertBackendScratch {
        lock.lock()
        defer { lock.unlock() }
        return pool.popLast() ?? LocalExpertBackendScratch(hidden: config.hiddenSize)
    }

    private func returnScratch(_ scratch: LocalExpertBackendScratch) {
        lock.lock()
        pool.append(scratch)
        lock.unlock()
    }
}
