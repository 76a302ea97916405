/// A row-major `rows x cols` matrix of `Float` in 64-byte aligned storage that this object owns.
///
/// A reference type so that engine buffers are allocated once and reused across steps and layers
/// (no allocation on the decode path), and so that it can cross an `await` to an expert backend.
/// It is `@unchecked Sendable`: the code that hands a matrix to another task must not touch it
/// until that task is done with it (the engine awaits its backend before reading the output).
public final class Matrix: @unchecked Sendable {
    /// Alignment of every matrix's storage, in bytes (one cache line, enough for AVX-512).
    public static let alignment = 64

    /// The number of rows in use.
    public private(set) var rows: Int
    /// The number of columns.
    public let cols: Int
    /// How many rows the storage holds; `resize(rows:)` up to this never reallocates.
    public private(set) var rowCapacity: Int
    /// The storage: `rowCapacity * cols` floats.
    public private(set) var base: UnsafeMutablePointer<Float>
    /// Whether `base` is a huge-page mapping (unmapped) rather than a heap allocation (deallocated).
    private var baseIsMapped: Bool

    /// A zero-filled matrix.
    public init(rows: Int, cols: Int, rowCapacity: Int? = nil) {
        precondition(rows >= 0 && cols >= 0, "matrix dimensions must not be negative")
        let capacity = max(rowCapacity ?? rows, rows, 1)
        self.rows = rows
        self.cols = cols
        self.rowCapacity = capacity
        (self.base, self.baseIsMapped) = Matrix.allocate(count: capacity * max(cols, 1))
    }

    /// A matrix holding a copy of `values` (row-major, `rows * cols` of them).
    public convenience init(rows: Int, cols: Int, values: [Float]) {
        precondition(values.count == rows * cols, "expected \(rows * cols) values, got \(values.count)")
        self.init(rows: rows, cols: cols)
        values.withUnsafeBufferPointer { source in
            if let start = source.baseAddress { base.update(from: start, count: values.count) }
        }
    }

    deinit {
        Matrix.free(base, count: rowCapacity * max(cols, 1), mapped: baseIsMapped)
    }

    /// Sets the number of rows in use, growing the storage (contents not kept) past the capacity.
    public func resize(rows newRows: Int) {
        precondition(newRows >= 0, "row count must not be negative")
        if newRows > rowCapacity {
            Matrix.free(base, count: rowCapacity * max(cols, 1), mapped: baseIsMapped)
            rowCapacity = max(newRows, rowCapacity * 2)
            (base, baseIsMapped) = Matrix.allocate(count: rowCapacity * max(cols, 1))
        }
        rows = newRows
    }

    /// The number of floats in use.
    public var count: Int { rows * cols }

    /// A pointer to the first float of row `row`.
    @inline(__always)
    public func row(_ row: Int) -> UnsafeMutablePointer<Float> {
        base + row * cols
    }

    /// Reads or writes one element.
    @inline(__always)
    public subscript(row: Int, col: Int) -> Float {
        get { base[row * cols + col] }
        set { base[row * cols + col] = newValue }
    }

    /// The rows in use as a buffer.
    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: base, count: count)
    }

    /// A copy of the rows in use, row-major.
    public func toArray() -> [Float] {
        Array(UnsafeBufferPointer(start: base, count: count))
    }

    /// Sets every element in use to zero.
    public func zero() {
        base.update(repeating: 0, count: count)
    }

    /// Storage of at least this many bytes is mapped directly and backed by transparent huge pages.
    ///
    /// Weights are streamed from memory once per decode step; with 4 KiB pages every 4 KiB read
    /// can miss the TLB. On this project's machine 2 MiB pages raised streaming reads by 10-25%
    /// (`MachineLimits.memoryReadGBS` uses the same storage, so the limit it reports is comparable).
    static let hugePageThreshold = 2 << 20
    static let hugePageSize = 2 << 20

    /// Zero-filled storage for `count` floats, and whether it is a huge-page mapping.
    private static func allocate(count: Int) -> (UnsafeMutablePointer<Float>, mapped: Bool) {
        let bytes = count * MemoryLayout<Float>.stride
        if bytes >= hugePageThreshold, let mapped = HugePageMemory.map(byteCount: bytes, alignment: hugePageSize) {
            // Anonymous mappings are zero-filled already.
            return (mapped.bindMemory(to: Float.self, capacity: count), true)
        }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: alignment)
        let typed = raw.bindMemory(to: Float.self, capacity: count)
        typed.initialize(repeating: 0, count: count)
        return (typed, false)
    }

    private static func free(_ pointer: UnsafeMutablePointer<Float>, count: Int, mapped: Bool) {
        if mapped {
            HugePageMemory.unmap(UnsafeMutableRawPointer(pointer), byteCount: count * MemoryLayout<Float>.stride,
                                 alignment: hugePageSize)
        } else {
            pointer.deallocate()
        }
    }
}
