import Foundation
import SwitchyardTensor

/// The forward pass of a Mixture-of-Experts model: embeddings, per layer attention (router side)
/// and FFN experts behind an `ExpertBackend`, final norm and head.
///
/// One `forward` call takes any mix of prefills and decode steps of different sequences: all their
/// rows go through the projections, gates and head as one matrix, attention runs per sequence
/// against its own KV cache. With `microBatches > 1` the inputs are split into that many groups
/// that proceed through the layers concurrently, each awaiting the backend per layer, so a remote
/// backend can compute one group's experts while the router computes another's attention.
public final class Engine: @unchecked Sendable {
    public let config: ModelConfig
    public let weights: BackboneWeights
    public let experts: any ExpertBackend
    public let microBatches: Int
    /// Tokens routed to each expert so far (read by /metrics and `perf`).
    public let traffic: ExpertTraffic
    /// Threads for weight products and the engine's concurrent work (decode attention); nil uses
    /// `BLAS.threadCount`.
    /// Set before the first `forward` (tests pin it; the process-wide BLAS count is shared).
    public var threads: Int?

    let rope: RoPE
    let attention: Attention
    /// The MLA kernel when the model uses latent attention.
    let latentAttention: LatentAttention?
    private let states: [EngineMicroBatch]
    let logits: Matrix
    /// After `forward`: the logits of every position of each input that set `allLogits`, one row
    /// per token, the input's rows from `positionLogitRows[input]` on. Reused like the result.
    public let positionLogits: Matrix
    /// After `forward`: each input's first row in `positionLogits`, nil for inputs without `allLogits`.
    public private(set) var positionLogitRows: [Int?] = []
    private let lock = NSLock()
    private var busy = false

    public init(config: ModelConfig, weights: BackboneWeights, experts: any ExpertBackend, microBatches: Int = 1) {
        self.config = config
        self.weights = weights
        self.experts = experts
        self.microBatches = max(1, microBatches)
        traffic = ExpertTraffic(config: config)
        rope = config.rope
        attention = Attention(config: config)
        latentAttention = config.latentAttention == nil ? nil : LatentAttention(config: config)
        states = (0..<max(1, microBatches)).map { EngineMicroBatch(index: $0, config: config) }
        logits = Matrix(rows: 0, cols: config.vocabSize)
        positionLogits = Matrix(rows: 0, cols: config.vocabSize)
    }

    /// A single-process engine over the checkpoint in `directory`: all weights, experts computed
    /// locally, kept in the formats `dtypes` asks for.
    public static func load(directory: URL, microBatches: Int = 1, dtypes: WeightDTypes = .auto) throws -> Engine {
        guard FileManager.default.fileExists(atPath: directory.path) else {
            throw EngineError.invalidArgument("model directory \(directory.path) does not exist")
        }
        let config = try ModelConfig.load(directory: directory)
        let checkpoint = try Checkpoint(directory: directory, config: config, dtypes: dtypes)
        let weights = try BackboneWeights.load(checkpoint, config: config)
        let experts = try LocalExpertBackend(checkpoint: checkpoint, config: config)
        return Engine(config: config, weights: weights, experts: experts, microBatches: microBatches)
    }

    /// An engine with random weights of `config`'s shape (tests and benchmarks without a checkpoint).
    public static func synthetic(config: ModelConfig, seed: UInt64 = 1, microBatches: Int = 1) throws -> Engine {
        let weights = try BackboneWeights.random(config: config, seed: seed)
        let experts = try LocalExpertBackend.random(config: config, seed: seed &+ 1)
        return Engine(config: config, weights: weights, experts: experts, microBatches: microBatches)
    }

    /// Appends each input's tokens to its cache and returns the raw logits of each input's LAST
    /// position, one row per input, in order (`[inputs.count x vocab]`). The matrix is reused: it is
    /// valid until the next call. On error no cache advances. One call at a time per engine
    /// (a concurrent call throws `EngineError.concurrentForward`).
    ///
    /// The matmuls run on the calling task and block it (OpenBLAS uses its own threads); a caller
    /// that must keep the cooperative pool free runs its step loop on a thread it owns.
    public func forward(_ inputs: [EngineInput]) async throws -> Matrix {
        try enter()
        defer { leave() }
        try validate(inputs)
        logits.resize(rows: inputs.count)
        var positionRows = 0
        positionLogitRows = inputs.map { input in
            guard input.allLogits else { return nil }
            defer { positionRows += input.tokens.count }
            return positionRows
        }
        positionLogits.resize(rows: positionRows)
        guard !inputs.isEmpty else { return logits }

        let groups = min(microBatches, inputs.count)
        if groups == 1 {
            try await run(states[0], inputs[...], logitRow: 0)
        } else {
            try await withThrowingTaskGroup(of: Void.self) { group in
                var start = 0
                for g in 0..<groups {
                    let end = start + (inputs.count - start) / (groups - g)
                    let slice = inputs[start..<end]
                    let state = states[g]
                    let row = start
                    group.addTask { try await self.run(state, slice, logitRow: row) }
                    start = end
                }
                try await group.waitForAll()
            }
        }
        for input in inputs { input.cache.length += input.tokens.count }
        return logits
    }

    private func enter() throws {
        lock.lock()
        defer { lock.unlock() }
        guard !busy else { throw EngineError.concurrentForward }
        busy = true
    }

    private func leave() {
        lock.lock()
        busy = false
        lock.unlock()
    }

    private func validate(_ inputs: [EngineInput]) throws {
        for (index, input) in inputs.enumerated() {
            let cache = input.cache
            guard !input.tokens.isEmpty else { throw EngineError.emptyInput(index: index) }
            guard cache.fits(config) else {
                throw EngineError.cacheMismatch("cache has \(cache.layers) layers x \(cache.kvHeads) KV heads x \(cache.headDim), model \(config.numLayers) x \(config.numKVHeads) x \(config.headDim)")
            }
            for token in input.tokens where token < 0 || Int(token) >= config.vocabSize {
                throw EngineError.tokenOutOfRange(token: Int(token), vocabSize: config.vocabSize)
            }
            let end = cache.length + input.tokens.count
            guard end <= cache.capacity else {
                throw EngineError.cacheFull(length: cache.length, adding: input.tokens.count, capacity: cache.capacity)
            }
            guard end <= config.maxPositionEmbeddings else {
                throw EngineError.contextTooLong(positions: end, limit: config.maxPositionEmbeddings)
            }
            for other in inputs[..<index] where other.cache === cache {
                throw EngineError.duplicateCache(index: index)
            }
        }
    }
}
