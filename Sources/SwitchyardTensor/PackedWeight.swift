import CKernels

/// A weight `W[rows, cols]` (nn.Linear's `[out, in]`) rearranged once, at load, for `C = A · Wᵀ`.
///
/// The rows are cut into panels of 16; each panel is stored column by column (`cols x 16` floats,
/// contiguous). A step of the product reads 16 consecutive weights and multiplies them by one
/// element of each of up to 6 rows of `A` (a broadcast), so 12 FMAs need 2 weight loads, against
/// 7 loads in a dot-product kernel on the unpacked layout, and no horizontal sums. The weight is
/// streamed from memory once per 96 rows of `A`, and one pass over a 16 KiB slice serves every row
/// group from L1. Each output is a single accumulator summed in k order, so a row's result is the
/// same whatever batch it is in. (CKernels' `sy_sgemm_packed`; measured with `switchyard perf
/// --kernels`.)
///
/// Whole-matrix products come from `LinearWeight`'s `multiply(_:into:accumulate:threads:)`.
public final class PackedWeight: @unchecked Sendable {
    /// Output features (`n` of the product).
    public let rows: Int
    /// Input features (`k`).
    public let cols: Int
    /// `panelCount * cols` rows of 16 floats; rows past `rows` in the last panel are zero.
    private let storage: Matrix

    /// Rows of `W` per panel.
    public static let panelWidth = Int(SY_PANEL_WIDTH)

    /// The product kernel the current path (`KernelPath.active`) runs. avx512 and avx2 compute the
    /// same chain of fused multiply-adds per output and agree bit for bit; the portable loop adds
    /// in the same order without fusing.
    public static var kernelDescription: String {
        switch KernelPath.active {
        case .avx512: "avx512 (6 rows x 2 panels of 16)"
        case .avx2: "avx2 (6 rows x 16)"
        case .portable: "portable"
        }
    }

    /// Below this many weight floats one thread does the whole product (splitting costs more).
    static let parallelThreshold = 1 << 16

    /// Panel chunks per thread: enough to rebalance around a preempted thread, few enough that
    /// each chunk streams a long run of weights.
    static let chunksPerThread = 4

    /// From this many rows of `A` (prefill), threads claim blocks of `rowBlock` rows, each over
    /// every panel, instead of chunks of panels: each thread then keeps its own rows of `A` in cache
    /// instead of every thread streaming all of `A` once per chunk (measured: prefill 1.05-1.19x).
    static let rowSplitThreshold = 192
    /// Rows per claimed block: the kernel's own row block (MC in PackedGEMM.c).
    static let rowBlock = 96

    /// Chunks are a multiple of this many panels: the kernels for 1 to 3 rows take 4 or 2 at a time.
    static let panelGrain = 4

    /// Packs a `rows x cols` weight whose rows `fill` writes, a panel (16 rows) at a time:
    /// `fill(firstRow, count, destination)` writes rows `firstRow ..< firstRow + count` row-major
    /// (`cols` floats each) to `destination`. Only the packed storage and one panel's staging
    /// buffer are allocated, so a checkpoint's tensor can be converted and packed in one pass.
    public init(rows: Int, cols: Int, fill: (_ firstRow: Int, _ count: Int, _ destination: UnsafeMutablePointer<Float>) throws -> Void) rethrows {
        precondition(rows >= 0 && cols >= 0, "weight dimensions must not be negative")
        self.rows = rows
        self.cols = cols
        let panels = (rows + Self.panelWidth - 1) / Self.panelWidth
        storage = Matrix(rows: max(panels * cols, 1), cols: Self.panelWidth)
        let staging = UnsafeMutablePointer<Float>.allocate(capacity: max(1, Self.panelWidth * cols))
        defer { staging.deallocate() }
        for first in stride(from: 0, to: rows, by: Self.panelWidth) {
            let count = min(Self.panelWidth, rows - first)
            try fill(first, count, staging)
            sy_pack_rows(Int32(cols), staging, cols, Int32(count), storage.base, Int32(first))
        }
    }

    /// Packs `parts` stacked top to bottom (e.g. gate over up, or q over k over v), all with the
    /// same number of columns.
    public convenience init(stacking parts: [Matrix]) {
        precondition(!parts.isEmpty, "nothing to pack")
        let cols = parts[0].cols
        precondition(parts.allSatisfy { $0.cols == cols }, "stacked weights must have the same number of columns")
        let sources = parts.filter { $0.rows > 0 }
        self.init(rows: sources.reduce(0) { $0 + $1.rows }, cols: cols) { first, count, destination in
            PackedWeight.copyStackedRows(sources, first: first, count: count, into: destination)
        }
    }

    /// Copies rows `first ..< first + count` of `parts` stacked into `destination`.
    private static func copyStackedRows(_ parts: [Matrix], first: Int, count: Int, into destination: UnsafeMutablePointer<Float>) {
        forEachRun(ofStackedRows: parts.map(\.rows), first: first, count: count) { part, row, rows, written in
            (destination + written * parts[part].cols).update(from: parts[part].row(row), count: rows * parts[part].cols)
        }
    }

    /// Cuts rows `first ..< first + count` of parts stacked top to bottom (`partRows[i]` rows each)
    /// into one run per part they touch: `body(part, firstRowInPart, rows, rowsBefore)`, where
    /// `rowsBefore` counts the rows of the range earlier runs covered.
    public static func forEachRun(
        ofStackedRows partRows: [Int], first: Int, count: Int,
        _ body: (_ part: Int, _ firstRowInPart: Int, _ rows: Int, _ rowsBefore: Int) throws -> Void
    ) rethrows {
        var partStart = 0
        var written = 0
        for (part, rows) in partRows.enumerated() {
            let lower = max(first + written, partStart)
            let upper = min(first + count, partStart + rows)
            if lower < upper {
                try body(part, lower - partStart, upper - lower, written)
                written += upper - lower
            }
            partStart += rows
        }
    }

    /// Packs one weight.
    public convenience init(_ matrix: Matrix) {
        self.init(stacking: [matrix])
    }

    /// The number of panels.
    public var panelCount: Int { (rows + Self.panelWidth - 1) / Self.panelWidth }

    /// `W[row, col]` (for tests and checks; not for hot paths).
    public subscript(row: Int, col: Int) -> Float {
        precondition(row >= 0 && row < rows && col >= 0 && col < cols, "(\(row), \(col)) is outside \(rows) x \(cols)")
        return sy_packed_element(Int32(cols), storage.base, Int32(row), Int32(col))
    }

    /// The weight in its original row-major layout.
    public func unpacked() -> Matrix {
        let matrix = Matrix(rows: rows, cols: cols)
        for r in 0..<rows {
            for c in 0..<cols { matrix[r, c] = self[r, c] }
        }
        return matrix
    }

    /// Bytes held (the padding of the last panel included).
    public var byteCount: Int { panelCount * cols * Self.panelWidth * MemoryLayout<Float>.stride }

    /// `C[m, rows] = A[m, cols] · Wᵀ + beta · C`, `A` and `C` row-major with leading dimensions in
    /// floats, on up to `threads` threads (each claims chunks of panels).
    public func multiply(
        m: Int, a: UnsafePointer<Float>, lda: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        beta: Float = 0, threads: Int = BLAS.threadCount
    ) {
        guard m > 0, rows > 0 else { return }
        guard cols > 0 else {
            for r in 0..<m {
                for j in 0..<rows { c[r * ldc + j] = beta == 0 ? 0 : beta * c[r * ldc + j] }
            }
            return
        }
        let panels = panelCount
        let tasks = min(max(1, threads), panels)
        if tasks <= 1 || rows * cols < Self.parallelThreshold {
            sy_sgemm_packed(Int32(m), Int32(rows), Int32(cols), a, Int32(lda), storage.base, c, Int32(ldc), beta,
                            0, Int32(panels))
            return
        }
        if m >= Self.rowSplitThreshold {
            let blocks = (m + Self.rowBlock - 1) / Self.rowBlock
            ParallelFor.run(count: blocks, threads: tasks) { block, _ in
                let r0 = block * Self.rowBlock
                sy_sgemm_packed(Int32(min(Self.rowBlock, m - r0)), Int32(rows), Int32(cols), a + r0 * lda, Int32(lda),
                                storage.base, c + r0 * ldc, Int32(ldc), beta, 0, Int32(panels))
            }
            return
        }
        let chunks = min(panels, tasks * Self.chunksPerThread)
        let perChunk = ((panels + chunks - 1) / chunks + Self.panelGrain - 1) / Self.panelGrain * Self.panelGrain
        ParallelFor.run(count: (panels + perChunk - 1) / perChunk, threads: tasks) { chunk, _ in
            let start = chunk * perChunk
            let end = min(panels, start + perChunk)
            sy_sgemm_packed(Int32(m), Int32(rows), Int32(cols), a, Int32(lda), storage.base, c, Int32(ldc), beta,
                            Int32(start), Int32(end))
        }
    }
}
