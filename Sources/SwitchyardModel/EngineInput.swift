/// One sequence's part of an engine step: new tokens appended at positions `cache.length...`.
///
/// A prefill passes the whole prompt; a decode step passes the one token just sampled.
public struct EngineInput: Sendable {
    public var cache: KVCache
    public var tokens: [Int32]
    /// Also compute the logits of every position of `tokens`, not only the last (prompt
    /// log-probabilities); they land in `Engine.positionLogits`.
    public var allLogits: Bool

    public init(cache: KVCache, tokens: [Int32], allLogits: Bool = false) {
        self.cache = cache
        self.tokens = tokens
        self.allLogits = allLogits
    }
}
