/// An owned, 64-byte aligned heap buffer that backs a ``TensorBytes`` built in this process.
///
/// Written once while the tensor is being built, read-only afterwards; that single-writer
/// discipline is why it may be `@unchecked Sendable`.
public final class ByteStorage: @unchecked Sendable {
    /// Start of the buffer (never nil, also for an empty buffer).
    public let baseAddress: UnsafeMutableRawPointer
    /// Size in bytes.
    public let count: Int

    /// Alignment of every buffer: a cache line, enough for any SIMD load.
    public static let alignment = 64

    /// Allocates `count` uninitialised bytes (`count` must be at least 0).
    public init(count: Int) {
        let size = max(count, 0)
        self.count = size
        self.baseAddress = UnsafeMutableRawPointer.allocate(byteCount: max(size, 1), alignment: Self.alignment)
    }

    deinit {
        baseAddress.deallocate()
    }
}
