/// One sequence's part of an engine step: new tokens appended at positions `cache.length...`.
///
/// A prefill passes the whole prompt; a decode step passes the one token just sampled.
public struct EngineInput: Sendable {
    public var cache: KVCache
    public var tokens: [Int32]

    public init(cache: KVCache, tokens: [Int32]) {
        self.cache = cache
        self.tokens = tokens
    }
}
