import CKernels

/// Why a block weight cannot be built.
public enum BlockWeightError: Error, CustomStringConvertible, Equatable {
    /// The row length is not a multiple of the format's block size.
    case colsNotMultipleOfBlock(format: WeightFormat, cols: Int)
    /// The bytes given do not hold exactly `rows` rows.
    case byteCountMismatch(format: WeightFormat, expected: Int, actual: Int)
    case negativeDimensions(rows: Int, cols: Int)

    public var description: String {
        switch self {
        case let .colsNotMultipleOfBlock(format, cols):
            "\(format.rawValue) rows are blocks of \(format.blockSize) values; \(cols) columns is not a multiple"
        case let .byteCountMismatch(format, expected, actual):
            "a \(format.rawValue) weight of this shape is \(expected) bytes, got \(actual)"
        case let .negativeDimensions(rows, cols):
            "weight dimensions must not be negative (\(rows) x \(cols))"
        }
    }
}

/// A weight `W[rows, cols]` (nn.Linear's `[out, in]`) kept in a compact format (bf16 or a ggml
/// block format, in ggml's own byte layout) for `C = A · Wᵀ`.
///
/// A product quantizes the activations once (q8 per block of 32, or q8_K per 256 for the
/// K-quants, into pooled or caller-given scratch), then each output is integer dot products per
/// block scaled and summed in float, in an order fixed per output: a row's result is bit-identical
/// whatever the batch size and however the output rows are split over threads (see SYQuant.h).
public final class BlockWeight: @unchecked Sendable {
    public let format: WeightFormat
    /// Output features (`n`).
    public let rows: Int
    /// Input features (`k`), a multiple of `format.blockSize`.
    public let cols: Int
    /// Bytes per row.
    public let rowBytes: Int
    /// Whether the rows are interleaved by eight (`SY_QF_ROWS8`: every format but f32, owned storage, when
    /// `repacksRows` was on at load): decode's product then reads eight rows per pass from one stream.
    public let rowsInterleaved: Bool
    /// The first run's bytes: this weight's own `rows * rowBytes` (`sy_weight_alloc`, 64-byte
    /// aligned, huge pages from 2 MiB on), or borrowed read-only from a file mapping.
    let storage: UnsafeMutableRawPointer
    /// Where the rows are: one run for an owned weight; for a borrowed one, one run per tensor it
    /// reads in place (gate and up of an expert are two runs in two stacked tensors of the file).
    private let runs: [Run]
    /// What keeps borrowed runs valid (GGUF file mappings); empty when the storage is owned.
    private let owners: [AnyObject]

    /// `rows` consecutive rows of the weight, starting at row `first`, stored at `base`.
    private struct Run {
        let first: Int
        let rows: Int
        let base: UnsafeRawPointer
    }

    /// Below this many weight values one thread does the whole product.
    static let parallelThreshold = 1 << 16
    /// Output-row chunks per thread (rebalancing around a preempted thread).
    static let chunksPerThread = 4
    /// Chunks are a multiple of this many output rows (a cache line of C, so threads never share one).
    static let rowGrain = 16

    /// Bytes held.
    public var byteCount: Int { rows * rowBytes }

    /// Whether weights in a format with an interleaved layout (every one but f32) are repacked into it
    /// when they are built, which means a GGUF tensor in that format is copied rather than read in
    /// place. On by default (bench q4_K_M: batch-1 decode 1.18x); `--repack` sets it, and `generate`'s `auto`
    /// turns it off, since one prompt does not repay the copy (bench q4_K_M, 4 tokens: 0.27 s
    /// against 0.10 s). Set it before loading.
    nonisolated(unsafe) public static var repacksRows = true

    /// Whether a weight of `format` built now is repacked (see `repacksRows`).
    public static func repacks(_ format: WeightFormat) -> Bool {
        repacksRows && sy_qf_has_rows8(Int32(format.ggmlType)) != 0
    }

    /// Whether a weight of `format` with `rows` rows of `cols` values built now has its rows
    /// interleaved: repacked, at least one whole group of eight, and whole units per row
    /// (`sy_qf_rows8_fits`: bf16 rows of a multiple of 32 values).
    public static func interleaves(_ format: WeightFormat, rows: Int, cols: Int) -> Bool {
        repacks(format) && sy_qf_rows8_fits(Int32(format.ggmlType), rows, cols) != 0
    }

    /// Blocks that follow each other in memory in an interleaved row: one unit (`sy_qf_rows8_unit`).
    /// Only asked of interleaved weights (a plain row's blocks all follow each other).
    private var blocksPerUnit: Int {
        max(1, Int(sy_qf_rows8_unit(Int32(format.ggmlType))) / format.blockSize)
    }

    /// The format id the kernels take: the format's, with `SY_QF_ROWS8` when the rows are interleaved.
    private var kernelType: Int32 { Int32(format.ggmlType) | (rowsInterleaved ? Int32(SY_QF_ROWS8) : 0) }

    private init(format: WeightFormat, rows: Int, cols: Int, validated: Void) throws {
        guard rows >= 0, cols >= 0 else { throw BlockWeightError.negativeDimensions(rows: rows, cols: cols) }
        guard cols % format.blockSize == 0 else {
            throw BlockWeightError.colsNotMultipleOfBlock(format: format, cols: cols)
        }
        self.format = format
        self.rows = rows
        self.cols = cols
        rowBytes = format.rowBytes(cols: cols)
        rowsInterleaved = Self.interleaves(format, rows: rows, cols: cols)
        guard let memory = sy_weight_alloc(rows * rowBytes) else { fatalError("out of memory for a \(rows) x \(cols) weight") }
        storage = memory
        runs = [Run(first: 0, rows: rows, base: UnsafeRawPointer(memory))]
        owners = []
    }

    /// A weight that reads its stored bytes where they are (a GGUF tensor inside a file mapping:
    /// no copy, and the pages are the page cache's, shared by every process mapping the file);
    /// `owner` is kept alive as long as the weight. The kernels never write to a weight's bytes.
    public convenience init(format: WeightFormat, rows: Int, cols: Int, borrowing bytes: UnsafeRawBufferPointer, owner: AnyObject) throws {
        try self.init(format: format, cols: cols, borrowingRuns: [(rows: rows, bytes: bytes, owner: owner)])
    }

    /// A weight whose rows are several runs read in place, stacked in order (e.g. an MLP's gate
    /// rows then its up rows, each in its own tensor of a GGUF mapping): the weight of one fused
    /// product, without a copy. Each run's `owner` is kept alive as long as the weight.
    public init(format: WeightFormat, cols: Int, borrowingRuns parts: [(rows: Int, bytes: UnsafeRawBufferPointer, owner: AnyObject)]) throws {
        let rows = parts.reduce(0) { $0 + $1.rows }
        guard cols >= 0, parts.allSatisfy({ $0.rows >= 0 }) else {
            throw BlockWeightError.negativeDimensions(rows: parts.map(\.rows).min() ?? 0, cols: cols)
        }
        guard cols % format.blockSize == 0 else { throw BlockWeightError.colsNotMultipleOfBlock(format: format, cols: cols) }
        let rowBytes = format.rowBytes(cols: cols)
        var runs: [Run] = []
        for part in parts {
            guard part.bytes.count == part.rows * rowBytes, let base = part.bytes.baseAddress else {
                throw BlockWeightError.byteCountMismatch(format: format, expected: part.rows * rowBytes, actual: part.bytes.count)
            }
            runs.append(Run(first: runs.last.map { $0.first + $0.rows } ?? 0, rows: part.rows, base: base))
        }
        guard let first = runs.first else { throw BlockWeightError.byteCountMismatch(format: format, expected: 0, actual: 0) }
        self.format = format
        self.rows = rows
        self.cols = cols
        self.rowBytes = rowBytes
        rowsInterleaved = false
        storage = UnsafeMutableRawPointer(mutating: first.base)
        self.runs = runs
        owners = parts.map(\.owner)
    }

    /// Whether the bytes are borrowed from a file mapping rather than held.
    public var isBorrowed: Bool { !owners.isEmpty }

    deinit { if owners.isEmpty { sy_weight_free(storage) } }

    /// Whether a copy of `bytes` bytes would sit in huge pages (then it streams faster than the
    /// file mapping's 4 KiB pages: fewer TLB misses; a smaller copy gains nothing over reading in place).
    public static func copyUsesHugePages(bytes: Int) -> Bool { sy_weight_uses_huge_pages(bytes) != 0 }

    /// Whether a weight fused from several runs of a file mapping (gate and up) is copied when the
    /// copy would sit in huge pages, rather than read in place. True (the default) in processes that
    /// serve or measure: the copy streams faster (bench bf16: decode batch 64 +2-3%, prefill +5-12%).
    /// `generate` sets it false: one prompt does not repay the copy, whose fresh pages the kernel
    /// must zero (bench bf16 first token 0.154 s copied, 0.088 s read in place). Set it before
    /// loading.
    nonisolated(unsafe) public static var copiesFusedWeightsIntoHugePages = true

    /// Whether a weight of `rows` x `cols` values of `format` fused from `runs` runs of a file mapping,
    /// `bytes` in all, is read in place: never when its rows would be interleaved (`interleaves`);
    /// else a single run always is, several unless the copy would sit in huge pages (see
    /// `copiesFusedWeightsIntoHugePages`).
    public static func readsInPlace(format: WeightFormat, rows: Int, cols: Int, runs: Int, bytes: Int) -> Bool {
        if interleaves(format, rows: rows, cols: cols) { return false }
        return runs == 1 || !(copiesFusedWeightsIntoHugePages && copyUsesHugePages(bytes: bytes))
    }

    /// Where block `block` of row `row` is (a row's blocks are consecutive unless `rowsInterleaved`).
    func blockPointer(row: Int, block: Int) -> UnsafeRawPointer {
        if rowsInterleaved { return sy_qf_block_address(kernelType, storage, rows, cols, row, block)! }
        let run = runs.count == 1 ? runs[0] : runs.last { $0.first <= row }!
        return run.base + (row - run.first) * rowBytes + block * format.bytesPerBlock
    }

    /// Copies blocks `blocks` of row `row` (ggml layout) to `destination`.
    func copyBlocks(row: Int, blocks: Range<Int>, into destination: UnsafeMutableRawPointer) {
        let blockBytes = format.bytesPerBlock
        if !rowsInterleaved {
            destination.copyMemory(from: blockPointer(row: row, block: blocks.lowerBound), byteCount: blocks.count * blockBytes)
            return
        }
        // Unit by unit: a unit's blocks follow each other.
        let unit = blocksPerUnit
        var block = blocks.lowerBound
        while block < blocks.upperBound {
            let count = min(blocks.upperBound, (block / unit + 1) * unit) - block
            (destination + (block - blocks.lowerBound) * blockBytes).copyMemory(from: blockPointer(row: row, block: block), byteCount: count * blockBytes)
            block += count
        }
    }

    /// Puts freshly written plain rows into the interleaved layout when `rowsInterleaved`.
    private func interleaveWrittenRows() {
        if rowsInterleaved { sy_qf_rows8_convert(Int32(format.ggmlType), rows, cols, storage, 0) }
    }

    /// A weight from its stored bytes (e.g. a GGUF tensor's data: `rows` rows of blocks), copied.
    public convenience init(format: WeightFormat, rows: Int, cols: Int, bytes: UnsafeRawBufferPointer) throws {
        try self.init(format: format, rows: rows, cols: cols, validated: ())
        guard bytes.count == byteCount else {
            throw BlockWeightError.byteCountMismatch(format: format, expected: byteCount, actual: bytes.count)
        }
        if let source = bytes.baseAddress, byteCount > 0 { storage.copyMemory(from: source, byteCount: byteCount) }
        interleaveWrittenRows()
    }

    /// A weight whose stored bytes (ggml layout, `rowBytes` per row) are written a run of rows at a
    /// time: `runs` are the row counts of consecutive runs (e.g. stacked tensors), and
    /// `fill(run, destination)` writes run `run`'s rows at `destination`.
    public convenience init(
        format: WeightFormat, cols: Int, runs: [Int],
        copyRuns fill: (_ run: Int, _ destination: UnsafeMutableRawPointer) throws -> Void
    ) throws {
        guard runs.allSatisfy({ $0 >= 0 }) else { throw BlockWeightError.negativeDimensions(rows: runs.min() ?? 0, cols: cols) }
        try self.init(format: format, rows: runs.reduce(0, +), cols: cols, validated: ())
        var first = 0
        for (run, count) in runs.enumerated() {
            try fill(run, storage + first * rowBytes)
            first += count
        }
        interleaveWrittenRows()
    }

    /// Quantizes a `rows x cols` weight whose rows `fill` writes a panel at a time:
    /// `fill(firstRow, count, destination)` writes rows `firstRow ..< firstRow + count` row-major
    /// (`cols` floats each). Only one panel's staging buffer is allocated besides the weight, so a
    /// checkpoint converts tensor by tensor.
    public convenience init(
        format: WeightFormat, rows: Int, cols: Int, panelRows: Int = 64,
        fill: (_ firstRow: Int, _ count: Int, _ destination: UnsafeMutablePointer<Float>) throws -> Void
    ) throws {
        try self.init(format: format, rows: rows, cols: cols, validated: ())
        let panel = max(1, panelRows)
        let staging = UnsafeMutablePointer<Float>.allocate(capacity: max(1, panel * cols))
        defer { staging.deallocate() }
        for first in stride(from: 0, to: rows, by: panel) {
            let count = min(panel, rows - first)
            try fill(first, count, staging)
            for r in 0..<count {
                format.quantize(row: staging + r * cols, cols: cols, into: storage + (first + r) * rowBytes)
            }
        }
        interleaveWrittenRows()
    }

    /// The stored bytes in ggml's plain layout, e.g. to compare with a GGUF tensor; rows borrowed
    /// from several places, or interleaved, are copied into plain rows first (for tests and checks,
    /// not hot paths).
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if runs.count == 1 && !rowsInterleaved { return try body(UnsafeRawBufferPointer(start: storage, count: byteCount)) }
        let joined = UnsafeMutableRawBufferPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
        defer { joined.deallocate() }
        for run in runs { (joined.baseAddress! + run.first * rowBytes).copyMemory(from: run.base, byteCount: run.rows * rowBytes) }
        if rowsInterleaved { sy_qf_rows8_convert(Int32(format.ggmlType), rows, cols, joined.baseAddress, 1) }
        return try body(UnsafeRawBufferPointer(start: joined.baseAddress, count: byteCount))
    }

    /// The first run's bytes as the kernels read them (for tests of the layouts).
    func withUnsafeStorage<R>(_ body: (UnsafeRawPointer) throws -> R) rethrows -> R { try body(storage) }

    /// Row `row` as floats into `destination` (exact), unit by unit when the rows are interleaved.
    private func dequantizeRow(_ row: Int, into destination: UnsafeMutablePointer<Float>) {
        guard rowsInterleaved else {
            format.dequantize(row: blockPointer(row: row, block: 0), cols: cols, into: destination)
            return
        }
        let blockSize = format.blockSize, unit = blocksPerUnit
        for block in stride(from: 0, to: cols / blockSize, by: unit) {
            format.dequantize(row: blockPointer(row: row, block: block), cols: unit * blockSize, into: destination + block * blockSize)
        }
    }

    /// Writes row `row` of `W` as `cols` floats (exact): an embedding lookup.
    public func dequantize(row: Int, into destination: UnsafeMutablePointer<Float>) {
        precondition(row >= 0 && row < rows, "row \(row) is outside 0..<\(rows)")
        dequantizeRow(row, into: destination)
    }

    /// Row `row` of `W` as floats (exact; for tests and checks, not hot paths).
    public func dequantizedRow(_ row: Int) -> [Float] {
        precondition(row >= 0 && row < rows, "row \(row) is outside 0..<\(rows)")
        return [Float](unsafeUninitializedCapacity: cols) { buffer, count in
            dequantizeRow(row, into: buffer.baseAddress!)
            count = cols
        }
    }

    /// Bytes of scratch a product with `m` activation rows needs (0 for f32 and bf16).
    public func scratchBytes(m: Int) -> Int { Int(sy_qf_scratch_bytes(Int32(format.ggmlType), m, cols)) }

    /// `C[m, rows] = A[m, cols] · Wᵀ + beta · C`, `A` and `C` row-major with leading dimensions in
    /// floats, on up to `threads` threads (each claims chunks of output rows). `scratch` holds the
    /// quantized activations; without one a pooled buffer is used.
    public func multiply(
        m: Int, a: UnsafePointer<Float>, lda: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        beta: Float = 0, threads: Int = BLAS.threadCount, scratch: QuantScratch? = nil
    ) {
        guard m > 0, rows > 0 else { return }
        guard cols > 0 else {
            for r in 0..<m {
                for j in 0..<rows { c[r * ldc + j] = beta == 0 ? 0 : beta * c[r * ldc + j] }
            }
            return
        }
        let bytes = scratchBytes(m: m)
        if let scratch {
            scratch.reserve(max(bytes, 64))
            run(m: m, a: a, lda: lda, c: c, ldc: ldc, beta: beta, threads: threads, scratch: scratch.base!)
        } else if bytes == 0 {
            // No scratch is written for these formats; any non-null pointer does.
            run(m: m, a: a, lda: lda, c: c, ldc: ldc, beta: beta, threads: threads, scratch: storage)
        } else {
            QuantScratch.withPooled(bytes: bytes) { base in
                run(m: m, a: a, lda: lda, c: c, ldc: ldc, beta: beta, threads: threads, scratch: base)
            }
        }
    }

    private func run(
        m: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
        beta: Float, threads: Int, scratch: UnsafeMutableRawPointer
    ) {
        let type = Int32(format.ggmlType)
        sy_qf_prepare(type, m, cols, a, lda, scratch)
        let tasks = min(max(1, threads), (rows + Self.rowGrain - 1) / Self.rowGrain)
        if tasks <= 1 || rows * cols < Self.parallelThreshold {
            products(type, m: m, a: a, lda: lda, scratch: scratch, c: c, ldc: ldc, beta: beta, outputs: 0..<rows)
            return
        }
        let chunks = min((rows + Self.rowGrain - 1) / Self.rowGrain, tasks * Self.chunksPerThread)
        let perChunk = ((rows + chunks - 1) / chunks + Self.rowGrain - 1) / Self.rowGrain * Self.rowGrain
        ParallelFor.run(count: (rows + perChunk - 1) / perChunk, threads: tasks) { chunk, _ in
            let start = chunk * perChunk
            products(type, m: m, a: a, lda: lda, scratch: scratch, c: c, ldc: ldc, beta: beta, outputs: start..<min(rows, start + perChunk))
        }
    }

    /// Output columns `outputs` of the product, run by run (each kernel call reads one run's rows).
    private func products(
        _ type: Int32, m: Int, a: UnsafePointer<Float>, lda: Int, scratch: UnsafeMutableRawPointer,
        c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float, outputs: Range<Int>
    ) {
        for run in runs {
            let lower = max(outputs.lowerBound, run.first), upper = min(outputs.upperBound, run.first + run.rows)
            guard lower < upper else { continue }
            sy_qf_gemm(kernelType, m, run.rows, cols, a, lda, scratch, run.base, c + run.first, ldc, beta, lower - run.first, upper - run.first)
        }
    }
}
