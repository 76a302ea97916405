import Foundation
import SwitchyardWire
import SwitchyardTensor

/// Reusable f32 buffers for dispatch replies, so steady-state serving allocates no row storage.
///
/// A reply's rows are sent zero-copy: libzmq holds a `ReplyBuffer` until it has written the bytes,
/// then releases it on one of its I/O threads; the buffer's `deinit` hands its memory back here.
final class ReplyBufferPool: @unchecked Sendable {
    // Safety: `free` is only touched with `lock` held.
    private let lock = NSLock()
    private var free: [RawAllocation] = []
    /// Buffers kept for reuse at most; more are freed.
    let limit: Int

    init(limit: Int = 16) { self.limit = limit }

    /// A buffer of at least `floats` elements.
    func take(floats: Int) -> ReplyBuffer {
        let bytes = max(floats, 1) * MemoryLayout<Float>.stride
        lock.lock()
        let index = free.firstIndex { $0.bytes >= bytes }
        let reused = index.map { free.remove(at: $0) }
        lock.unlock()
        let allocation = reused ?? RawAllocation(bytes: bytes)
        return ReplyBuffer(allocation: allocation, floats: floats, pool: self)
    }

    fileprivate func give(_ allocation: RawAllocation) {
        lock.lock()
        if free.count < limit {
            free.append(allocation)
            lock.unlock()
        } else {
            lock.unlock()
            allocation.deallocate()
        }
    }

    /// Buffers waiting for reuse (tests).
    var idleCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return free.count
    }

    deinit {
        for allocation in free { allocation.deallocate() }
    }
}

/// Memory from `UnsafeMutableRawPointer.allocate`, moved between owners by value.
struct RawAllocation: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let bytes: Int

    init(bytes: Int) {
        self.bytes = bytes
        base = .allocate(byteCount: bytes, alignment: 64)
    }

    func deallocate() { base.deallocate() }
}

/// One reply's rows; writable only by the compute thread before it is wrapped in `TensorBytes`.
final class ReplyBuffer: @unchecked Sendable {
    private let allocation: RawAllocation
    /// Elements in use.
    let floats: Int
    private let pool: ReplyBufferPool

    fileprivate init(allocation: RawAllocation, floats: Int, pool: ReplyBufferPool) {
        self.allocation = allocation
        self.floats = floats
        self.pool = pool
    }

    var pointer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: allocation.base.assumingMemoryBound(to: Float.self), count: floats)
    }

    /// The rows as a zero-copy tensor frame that keeps this buffer alive.
    var tensorBytes: TensorBytes {
        TensorBytes(owner: self, baseAddress: UnsafeRawPointer(allocation.base), count: floats * MemoryLayout<Float>.stride)
    }

    /// Rounds the rows to bf16 in place (element `i` moves to bytes `2i ..< 2i + 2`, never ahead
    /// of an element still to be read) and returns them as a zero-copy frame of half the bytes.
    func bf16TensorBytes() -> TensorBytes {
        let base = allocation.base
        DTypeConversion.f32ToBF16(base.assumingMemoryBound(to: Float.self), base, count: floats)
        return TensorBytes(owner: self, baseAddress: UnsafeRawPointer(allocation.base), count: floats * 2)
    }

    deinit { pool.give(allocation) }
}
