import SwitchyardTensor

/// The keys and values of one sequence for every layer, up to `capacity` positions.
///
/// Layout: `[layer][k | v][kvHead][capacity][headDim]`, so each (layer, head) block of keys or values
/// is a contiguous `capacity x headDim` row-major matrix that attention hands to BLAS directly.
/// With multi-head latent attention the cache holds only each token's latent and shared RoPE key:
/// `[layer][capacity][kvLoraRank + ropeHeadDim]` (576 floats per token and layer for DeepSeek-V3,
/// against 2 x 128 heads x 128-192 for the expanded keys and values).
/// Owned by one sequence; the engine writes new positions during `forward` and advances `length`
/// only when the whole step succeeded.
public final class KVCache: @unchecked Sendable {
    /// Positions the cache holds at most.
    public let capacity: Int
    /// Positions cached so far (the next token's position).
    public internal(set) var length: Int = 0
    let layers: Int
    let kvHeads: Int
    let headDim: Int
    /// Values per token and layer of an MLA cache; 0 for a key/value cache.
    let latentWidth: Int
    private let storage: Matrix

    /// A cache for `capacity` positions of a model with `config`'s shape.
    public init(config: ModelConfig, capacity: Int) {
        precondition(capacity > 0, "a KV cache needs a positive capacity")
        self.capacity = capacity
        layers = config.numLayers
        kvHeads = config.numKVHeads
        headDim = config.headDim
        latentWidth = config.latentAttention?.cachedWidth ?? 0
        storage = latentWidth > 0
            ? Matrix(rows: layers * capacity, cols: latentWidth)
            : Matrix(rows: layers * 2 * kvHeads * capacity, cols: headDim)
    }

    /// Floats one position takes in one layer: keys and values of every KV head, or an MLA latent.
    static func valuesPerToken(_ config: ModelConfig) -> Int {
        config.latentAttention?.cachedWidth ?? 2 * config.numKVHeads * config.headDim
    }

    /// Bytes of cache one position takes for `config` (f32 keys and values, or latents, of every layer).
    public static func bytesPerToken(_ config: ModelConfig) -> Int {
        config.numLayers * valuesPerToken(config) * MemoryLayout<Float>.stride
    }

    /// Bytes one position would take with keys and values expanded per head (what a full-KV
    /// layout caches: for MLA every head's `qk_nope + qk_rope` key and `v_head_dim` value, as
    /// transformers' cache holds them); equals `bytesPerToken` without MLA.
    public static func expandedBytesPerToken(_ config: ModelConfig) -> Int {
        guard let mla = config.latentAttention else { return bytesPerToken(config) }
        return config.numLayers * config.numHeads * (mla.queryHeadDim + mla.valueHeadDim) * MemoryLayout<Float>.stride
    }

    /// Bytes this cache holds.
    public var byteCount: Int { storage.count * MemoryLayout<Float>.stride }

    /// Forgets every cached position (the storage is kept for the next sequence).
    public func reset() { length = 0 }

    /// Forgets positions from `newLength` on (e.g. to re-run a step).
    public func truncate(to newLength: Int) {
        precondition(newLength >= 0 && newLength <= length, "truncate to \(newLength) of \(length)")
        length = newLength
    }

    /// Makes this cache hold the first `count` positions of `source` (a sibling sequence of the
    /// same prompt), forgetting what it held: the prompt is computed once for all of them.
    public func copyPrefix(from source: KVCache, count: Int) {
        precondition(count <= source.length && count <= capacity, "copy \(count) positions of \(source.length) into \(capacity)")
        precondition(layers == source.layers && kvHeads == source.kvHeads && headDim == source.headDim
                     && latentWidth == source.latentWidth, "caches of different shapes")
        if latentWidth > 0 {
            for layer in 0..<layers {
                latents(layer: layer).update(from: source.latents(layer: layer), count: count * latentWidth)
            }
        } else {
            for layer in 0..<layers {
                for head in 0..<kvHeads {
                    keys(layer: layer, head: head).update(from: source.keys(layer: layer, head: head), count: count * headDim)
                    values(layer: layer, head: head).update(from: source.values(layer: layer, head: head), count: count * headDim)
                }
            }
        }
        length = count
    }

    /// The `capacity x headDim` keys of `head` in `layer`.
    @inline(__always)
    func keys(layer: Int, head: Int) -> UnsafeMutablePointer<Float> {
        storage.base + ((layer * 2) * kvHeads + head) * capacity * headDim
    }

    /// The `capacity x headDim` values of `head` in `layer`.
    @inline(__always)
    func values(layer: Int, head: Int) -> UnsafeMutablePointer<Float> {
        storage.base + ((layer * 2 + 1) * kvHeads + head) * capacity * headDim
    }

    /// The `capacity x (kvLoraRank + ropeHeadDim)` latents of `layer` in an MLA cache.
    @inline(__always)
    func latents(layer: Int) -> UnsafeMutablePointer<Float> {
        storage.base + layer * capacity * latentWidth
    }

    /// Whether this cache was built for `config`'s shape.
    func fits(_ config: ModelConfig) -> Bool {
        layers == config.numLayers && kvHeads == config.numKVHeads && headDim == config.headDim
            && latentWidth == (config.latentAttention?.cachedWidth ?? 0)
    }
}
