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
    /// Threads for concurrent expert compute; nil uses `BLAS.threadCount`. Set before the first call.
    public var threads: Int?

    /// Experts run concurrently (one thread each) only while every group has at most this many rows;
    /// larger groups (prefill) split each product over the threads instead.
    static let concurrentGroupLimit = 64
    private var pool: [LocalExpertBackendScratch] = []

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
            try RouterWeights.check(name + ".gate_proj.weight", w.gate, [size, config.hiddenSize])
            try RouterWeights.check(name + ".up_proj.weight", w.up, [size, config.hiddenSize])
            try RouterWeights.check(name + ".down_proj.weight", w.down, [config.hiddenSize, size])
            loaded[key] = ExpertFFN(w)
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
        output.resize(rows: routes.rows)
        guard routes.rows > 0 else { return }

        let scratch = takeScratch()
        defer { returnScratch(scratch) }
        scratch.prepare(routes: routes, experts: count)
        scratch.gathered.resize(rows: scratch.assigned)
        scratch.results.resize(rows: scratch.assigned)

        let threads = self.threads ?? BLAS.threadCount
        // Concurrent experts need small groups (each expert on one thread) and at least two experts
        // per thread, so that claiming can even out uneven groups or a preempted thread; otherwise
        // (batch 1 routes 2 experts) each product is split over the threads instead.
        if threads > 1, scratch.largestGroup <= Self.concurrentGroupLimit, scratch.activeExperts.count >= 2 * threads {
            computeExpertsConcurrently(layerExperts, input: input, scratch: scratch, threads: threads)
        } else {
            computeExpertsInTurn(layerExperts, input: input, scratch: scratch, threads: threads)
        }
        combine(routes: routes, scratch: scratch, output: output, threads: threads)
    }

    /// Large groups (prefill) or few experts (batch 1): one expert after another, each product split over `threads`.
    private func computeExpertsInTurn(
        _ layerExperts: [ExpertFFN?], input: Matrix, scratch: LocalExpertBackendScratch, threads: Int
    ) {
        for e in 0..<layerExperts.count {
            let start = scratch.offsets[e]
            let rows = scratch.offsets[e + 1] - start
            guard rows > 0, let ffn = layerExperts[e] else { continue }
            scratch.gather(input: input, positions: start..<(start + rows))
            let buffers = scratch.buffers(worker: 0, rows: rows, intermediate: ffn.intermediateSize)
            ffn.compute(input: scratch.gathered.row(start), rows: rows, output: scratch.results.row(start),
                        hidden: buffers.hidden, activated: buffers.activated, threads: threads)
        }
    }

    /// Small groups (decode): whole experts run concurrently, one thread each, largest group first.
    ///
    /// Splitting each of a decode step's small products over the threads costs a hand-off per
    /// product (two per expert per layer) and leaves the activation single-threaded; one thread per
    /// expert needs one hand-off per layer and keeps each expert's intermediate rows in its core's cache.
    private func computeExpertsConcurrently(
        _ layerExperts: [ExpertFFN?], input: Matrix, scratch: LocalExpertBackendScratch, threads: Int
    ) {
        scratch.sortActiveExpertsBySize()
        scratch.reserveWorkers(threads)
        ParallelFor.run(count: scratch.activeExperts.count, threads: threads) { item, worker in
            let e = scratch.activeExperts[item]
            let start = scratch.offsets[e]
            let rows = scratch.offsets[e + 1] - start
            guard let ffn = layerExperts[e] else { return }
            scratch.gather(input: input, positions: start..<(start + rows))
            let buffers = scratch.buffers(worker: worker, rows: rows, intermediate: ffn.intermediateSize)
            ffn.compute(input: scratch.gathered.row(start), rows: rows, output: scratch.results.row(start),
                        hidden: buffers.hidden, activated: buffers.activated, threads: 1)
        }
    }

    /// `output[r] = Σ weight · result` over row `r`'s routed slots, added in expert order (the order
    /// results are stored in), rows split over the threads.
    private func combine(routes: ExpertRoutes, scratch: LocalExpertBackendScratch, output: Matrix, threads: Int) {
        let h = config.hiddenSize
        let slots = routes.slotsPerRow
        let rowsPerChunk = 16
        routes.weights.withUnsafeBufferPointer { weights in
            ParallelFor.run(count: (routes.rows + rowsPerChunk - 1) / rowsPerChunk, threads: threads) { chunk, _ in
                for row in (chunk * rowsPerChunk)..<min(routes.rows, (chunk + 1) * rowsPerChunk) {
                    let out = output.row(row)
                    out.update(repeating: 0, count: h)
                    // The row's result positions in increasing order (a selection over top-k slots).
                    var previous = Int32(-1)
                    while true {
                        var best = Int32.max
                        var bestSlot = -1
                        for s in (row * slots)..<((row + 1) * slots) {
                            let position = scratch.slotPosition[s]
                            if position > previous, position < best { best = position; bestSlot = s }
                        }
                        guard bestSlot >= 0 else { break }
                        VectorOps.addScaled(scratch.results.row(Int(best)), alpha: weights[bestSlot], into: out, count: h)
                        previous = best
                    }
                }
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
