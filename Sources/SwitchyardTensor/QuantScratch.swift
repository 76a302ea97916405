import Synchronization

/// A 64-byte aligned buffer for the quantized activations of a product, grown on demand and then
/// reused, so steady-state products allocate nothing.
public final class QuantScratch: @unchecked Sendable {
    public private(set) var capacity: Int = 0
    public private(set) var base: UnsafeMutableRawPointer?

    public init(capacity: Int = 0) { reserve(capacity) }

    deinit { base?.deallocate() }

    /// Makes room for `bytes`, reallocating (contents not kept) only when it grows.
    public func reserve(_ bytes: Int) {
        guard bytes > capacity else { return }
        base?.deallocate()
        capacity = max(bytes, capacity * 2)
        base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
    }

    /// Scratch buffers for callers that do not pass their own: one is taken per product and given
    /// back after it, so concurrent products never share one.
    static let pool = Mutex<[QuantScratch]>([])

    static func withPooled<R>(bytes: Int, _ body: (UnsafeMutableRawPointer) -> R) -> R {
        let scratch = pool.withLock { $0.popLast() } ?? QuantScratch()
        defer { pool.withLock { $0.append(scratch) } }
        scratch.reserve(max(bytes, 64))
        return body(scratch.base!)
    }
}
