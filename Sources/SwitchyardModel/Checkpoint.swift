import Foundation
import SwitchyardTensor

/// A checkpoint: a Hugging Face directory of memory-mapped safetensors (one file, or shards listed by
/// `model.safetensors.index.json`), or a llama.cpp GGUF model (a `.gguf` file, split set or directory
/// holding one; tensors under their Hugging Face names), of which only the tensors `filter` admits
/// are mapped and read.
///
/// Every accessor returns an f32 copy (BF16/F16 converted on the way), so the maps can be dropped
/// once the engine has its weights. Immutable after `init`; safe to share across tasks.
public final class Checkpoint: @unchecked Sendable {
    /// Where one tensor lives.
    struct Entry {
        /// Where the bytes are.
        enum Storage {
            case safetensors(SafetensorsFile)
            case gguf(GGUFTensorSlice)
            /// Values rebuilt at load from other tensors of `path` (deepseek2's `kv_b_proj` from the
            /// split `attn_k_b` / `attn_v_b`); empty when the process's filter excludes the tensor.
            case rebuilt([Float], path: String)
        }
        var storage: Storage
        /// Name and shape as Hugging Face has them (for GGUF the dtype is nominal).
        var info: SafetensorsTensorInfo
        var role: TensorRole

        init(file: SafetensorsFile, info: SafetensorsTensorInfo, role: TensorRole) {
            self.init(storage: .safetensors(file), info: info, role: role)
        }

        init(storage: Storage, info: SafetensorsTensorInfo, role: TensorRole) {
            self.storage = storage
            self.info = info
            self.role = role
        }

        /// The file the tensor is in (for messages).
        var path: String {
            switch storage {
            case let .safetensors(file): file.path
            case let .gguf(slice): slice.path
            case let .rebuilt(_, path): path
            }
        }
    }

    public let directory: URL
    public let config: ModelConfig
    public let filter: TensorFilter
    /// The formats weights are kept in once loaded (`linearWeight`).
    public let dtypes: WeightDTypes
    let entries: [String: Entry]
    /// The safetensors files opened (only those holding tensors the filter admits; none for GGUF).
    public let files: [SafetensorsFile]
    /// The GGUF model, when the checkpoint is one.
    public let gguf: GGUFModelFiles?

    /// Opens the checkpoint in `directory`, validates every header it opens, and maps the byte
    /// ranges of the tensors `filter` admits. Weights built from it are kept in `dtypes`.
    public init(directory: URL, config: ModelConfig, filter: TensorFilter = .all, dtypes: WeightDTypes = .auto) throws {
        self.directory = directory
        self.config = config
        self.filter = filter
        self.dtypes = dtypes
        if case let .experts(keys) = filter, let bad = keys.first(where: { !config.isValid($0) }) {
            throw ModelError.noSuchExpert(layer: bad.layer, expert: bad.expert,
                reason: "the model has \(config.numLayers) layers and \(bad.layer >= 0 && bad.layer < config.numLayers ? config.ffnExperts(layer: bad.layer) : 0) FFN experts in that layer")
        }
        if ModelLocation.isGGUF(directory) {
            let model = try GGUFModelFiles(path: directory.path)
            self.entries = try Self.ggufEntries(model, config: config, filter: filter)
            self.files = []
            self.gguf = model
            return
        }
        self.gguf = nil
        let fileNames = try CheckpointLayout.fileNames(directory: directory, config: config, filter: filter)
        var files: [SafetensorsFile] = []
        var entries: [String: Entry] = [:]
        for (fileName, expected) in fileNames {
            let url = directory.appendingPathComponent(fileName)
            let file: SafetensorsFile
            do {
                file = try SafetensorsFile(url: url)
            } catch ModelError.missingFile(let path, _) where expected != nil {
                throw ModelError.invalidIndex(path: path, reason: "shard listed in model.safetensors.index.json is missing")
            }
            var names = Set<String>()
            for info in file.header.tensors {
                names.insert(info.name)
                if let previous = entries[info.name] {
                    throw ModelError.invalidTensor(path: url.path, tensor: info.name, reason: "also stored in \(previous.path)")
                }
                entries[info.name] = Entry(file: file, info: info, role: WeightNames.role(of: info.name, config: config))
            }
            if let expected, let absent = expected.first(where: { !names.contains($0) }) {
                throw ModelError.invalidIndex(path: url.path,
                    reason: "model.safetensors.index.json maps tensor \"\(absent)\" to this shard, but the shard does not contain it")
            }
            files.append(file)
        }
        for file in files {
            let ranges = file.header.tensors.flatMap { info -> [Range<Int>] in
                CheckpointLayout.neededRanges(info: info, role: WeightNames.role(of: info.name, config: config), filter: filter, config: config)
            }
            try file.map(ranges: ranges)
        }
        self.entries = entries
        self.files = files
    }

    /// Bytes of checkpoint files mapped (what this process may ever page in).
    public var mappedBytes: Int {
        files.reduce(0) { $0 + $1.mappedBytes } + entries.values.reduce(0) { (total: Int, entry: Entry) -> Int in
            if case let .gguf(slice) = entry.storage, slice.region != nil { return total + slice.fileRange.count }
            return total
        }
    }

    /// Total bytes of the files opened.
    public var fileBytes: Int { files.reduce(0) { $0 + $1.fileSize } + (gguf?.files.reduce(0) { $0 + $1.fileSize } ?? 0) }

    /// All tensor names of the opened files, sorted.
    public var tensorNames: [String] { entries.keys.sorted() }

    /// The shape and dtype of a tensor (any spelling `WeightNames` aliases), nil when absent.
    public func info(_ name: String) -> SafetensorsTensorInfo? {
        resolve(name)?.info
    }

    /// Whether the checkpoint holds `name` and the filter admits it.
    public func has(_ name: String) -> Bool {
        guard let entry = resolve(name) else { return false }
        if case .fusedExperts = entry.role { return filter == .all }
        return filter.includes(entry.role)
    }

    /// An f32 copy of a tensor; `shape` must equal its shape (a 1-D `[n]` tensor comes back as `1 x n`,
    /// more than two dimensions are flattened into rows).
    public func matrix(_ name: String, shape: [Int]) throws -> Matrix {
        try matrix(try rows(of: name, shape: shape))
    }

    /// A run of rows of one tensor: a whole tensor, or one expert's block of a fused one.
    struct TensorRows {
        var entry: Entry
        /// The element the first row starts at.
        var elementOffset: Int
        var rows: Int
        var cols: Int
    }

    /// All of a tensor as rows; `shape` must equal its shape (more than two dimensions are
    /// flattened into rows).
    func rows(of name: String, shape: [Int]) throws -> TensorRows {
        let entry = try loadable(name)
        guard entry.info.shape == shape else {
            throw ModelError.shapeMismatch(path: entry.path, tensor: entry.info.name, expected: shape, actual: entry.info.shape)
        }
        let cols = shape.last ?? 1
        return TensorRows(entry: entry, elementOffset: 0, rows: shape.count <= 1 ? 1 : shape.dropLast().reduce(1, *), cols: cols)
    }

    /// An f32 copy of `source`.
    func matrix(_ source: TensorRows) throws -> Matrix {
        let matrix = Matrix(rows: source.rows, cols: source.cols)
        try copy(source.entry, elementOffset: source.elementOffset, count: source.rows * source.cols, into: matrix.base)
        return matrix
    }

    /// `sources` stacked top to bottom (same column count), converted to f32 and packed in one pass
    /// without an intermediate copy of the whole weight.
    func packedWeight(_ sources: [TensorRows]) throws -> PackedWeight {
        let cols = sources.first?.cols ?? 0
        precondition(sources.allSatisfy { $0.cols == cols }, "stacked tensors must have the same number of columns")
        return try PackedWeight(rows: sources.reduce(0) { $0 + $1.rows }, cols: cols) { first, count, destination in
            try PackedWeight.forEachRun(ofStackedRows: sources.map(\.rows), first: first, count: count) { part, row, rows, written in
                let source = sources[part]
                try copy(source.entry, elementOffset: source.elementOffset + row * cols, count: rows * cols,
                         into: destination + written * cols)
            }
        }
    }

    /// `sources` stacked top to bottom, each in the format `dtype` resolves to for what it stores:
    /// packed f32 panels, a `BlockWeight` quantized a panel of rows at a time (the peak is the result
    /// plus one panel), or, for `auto` on GGUF blocks, a `BlockWeight` holding the file's blocks:
    /// read in place in the mapping when the weight is one tensor's unpermuted rows, else copied. Sources that resolve to different formats (a GGUF file mixing them) are
    /// kept side by side in a `StackedWeight`. Errors name the tensor when its rows are not whole
    /// blocks.
    func linearWeight(_ sources: [TensorRows], dtype: WeightDType) throws -> any LinearWeight {
        guard let first = sources.first else { return try packedWeight(sources) }
        let formats = sources.map { dtype.resolve(stored: storedFormat($0.entry)) }
        if formats.contains(where: { $0 != formats[0] }) {
            var parts: [any LinearWeight] = []
            var start = 0
            for end in 1...sources.count where end == sources.count || formats[end] != formats[start] {
                parts.append(try linearWeight(Array(sources[start..<end]), dtype: dtype))
                start = end
            }
            return StackedWeight(parts)
        }
        let format = formats[0]
        let cols = first.cols
        precondition(sources.allSatisfy { $0.cols == cols }, "stacked tensors must have the same number of columns")
        let rows = sources.reduce(0) { $0 + $1.rows }
        do {
            if dtype == .auto, format != .f32, let slices = try ggufSlices(sources) {
                // Rows stored as they are kept are read in place: one whole tensor (or one expert's
                // rows); several such runs fused into one product (gate and up) too, unless a copy
                // would sit in huge pages, which stream faster than the mapping's 4 KiB pages
                // (DeepSeek-shaped bf16: batch-64 decode 0.93x when read in place). Rows to be
                // interleaved (every format but f32; see `BlockWeight.repacksRows`) are always copied.
                if BlockWeight.readsInPlace(format: format, rows: rows, cols: cols, runs: sources.count,
                                            bytes: rows * format.rowBytes(cols: cols)),
                   let runs = Self.borrowableRuns(sources, slices, format: format) {
                    return try BlockWeight(format: format, cols: cols, borrowingRuns: runs)
                }
                // Copied (fused into huge pages, repacked, or rows reordered): the mapping's pages
                // read for the copy are let go, so the process holds the weight once.
                return try BlockWeight(format: format, cols: cols, runs: sources.map(\.rows)) { run, destination in
                    try slices[run].copyRows(firstRow: sources[run].elementOffset / cols, count: sources[run].rows, into: destination)
                    slices[run].region?.dropResidentPages()
                }
            }
            if format == .f32 { return try packedWeight(sources) }
            return try BlockWeight(format: format, rows: rows, cols: cols) { start, count, destination in
                try PackedWeight.forEachRun(ofStackedRows: sources.map(\.rows), first: start, count: count) { part, row, rows, written in
                    let source = sources[part]
                    try copy(source.entry, elementOffset: source.elementOffset + row * cols, count: rows * cols,
                             into: destination + written * cols)
                }
            }
        } catch let error as BlockWeightError {
            throw ModelError.formatDoesNotFit(tensor: sources.map(\.entry.info.name).joined(separator: " + "),
                                              format: format.rawValue, reason: error.description)
        }
    }

    /// Each source's rows as bytes of its GGUF mapping, when every source is whole rows stored in
    /// `format` as the engine reads them (no Q/K permutation to undo, no q5_0 to widen); else nil.
    private static func borrowableRuns(
        _ sources: [TensorRows], _ slices: [GGUFTensorSlice], format: WeightFormat
    ) -> [(rows: Int, bytes: UnsafeRawBufferPointer, owner: AnyObject)]? {
        var runs: [(rows: Int, bytes: UnsafeRawBufferPointer, owner: AnyObject)] = []
        for (source, slice) in zip(sources, slices) {
            guard let region = slice.region, slice.permutationHeads == nil,
                  WeightFormat(ggmlType: Int(slice.type.rawValue)) == format,
                  source.cols == slice.cols, source.elementOffset % max(source.cols, 1) == 0 else { return nil }
            let firstRow = source.elementOffset / max(source.cols, 1)
            let rowBytes = format.rowBytes(cols: source.cols)
            guard firstRow + source.rows <= slice.rows, region.bytes.count >= slice.rows * rowBytes else { return nil }
            let bytes = UnsafeRawBufferPointer(rebasing: region.bytes[(firstRow * rowBytes)..<((firstRow + source.rows) * rowBytes)])
            runs.append((source.rows, bytes, region))
        }
        return runs
    }

    /// The format `entry`'s values are stored in (f16 counts as f32).
    func storedFormat(_ entry: Entry) -> WeightFormat {
        switch entry.storage {
        case let .gguf(slice): slice.storedFormat
        case .safetensors, .rebuilt: entry.info.dtype == .bf16 ? .bf16 : .f32
        }
    }

    /// The GGUF slices of `sources`, each mapped by this process; nil when any is not a GGUF slice.
    private func ggufSlices(_ sources: [TensorRows]) throws -> [GGUFTensorSlice]? {
        var slices: [GGUFTensorSlice] = []
        for source in sources {
            guard case let .gguf(slice) = source.entry.storage else { return nil }
            guard slice.region != nil else { throw ModelError.tensorNotLoaded(name: source.entry.info.name, filter: filter.description) }
            slices.append(slice)
        }
        return slices
    }

    /// The format the weights of `name` are stored in (f16 counts as f32; GGUF blocks as their
    /// format), nil when the checkpoint does not hold it.
    public func storedFormat(of name: String) -> WeightFormat? {
        resolve(name).map(storedFormat)
    }

    /// An f32 copy of a tensor of `count` elements (any shape with that many elements).
    public func vector(_ name: String, count: Int) throws -> [Float] {
        let entry = try loadable(name)
        guard entry.info.elementCount == count else {
            throw ModelError.shapeMismatch(path: entry.path, tensor: entry.info.name, expected: [count], actual: entry.info.shape)
        }
        return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress { try copy(entry, elementOffset: 0, count: count, into: base) }
            initialized = count
        }
    }

    func resolve(_ name: String) -> Entry? {
        if let entry = entries[name] { return entry }
        for alias in WeightNames.aliases(of: name) {
            if let entry = entries[alias] { return entry }
        }
        return nil
    }

    private func loadable(_ name: String) throws -> Entry {
        guard let entry = resolve(name) else {
            throw ModelError.missingTensor(name: name, directory: directory.path)
        }
        guard has(name) else {
            throw ModelError.tensorNotLoaded(name: name, filter: filter.description)
        }
        return entry
    }

    /// Converts `count` elements of `entry` starting at element `elementOffset` into `destination`.
    func copy(_ entry: Entry, elementOffset: Int, count: Int, into destination: UnsafeMutablePointer<Float>) throws {
        let file: SafetensorsFile
        switch entry.storage {
        case let .gguf(slice):
            guard slice.region != nil else { throw ModelError.tensorNotLoaded(name: entry.info.name, filter: filter.description) }
            try slice.dequantize(elementOffset: elementOffset, count: count, into: destination)
            return
        case let .safetensors(safetensors): file = safetensors
        case let .rebuilt(values, _):
            guard elementOffset >= 0, elementOffset + count <= values.count else {
                throw ModelError.tensorNotLoaded(name: entry.info.name, filter: filter.description)
            }
            values.withUnsafeBufferPointer { destination.update(from: $0.baseAddress! + elementOffset, count: count) }
            return
        }
        let size = entry.info.dtype.byteSize
        guard let bytes = file.bytes(dataStart: entry.info.dataStart + elementOffset * size, count: count * size) else {
            throw ModelError.tensorNotLoaded(name: entry.info.name, filter: filter.description)
        }
        DTypeConversion.toF32(entry.info.dtype, bytes, destination, count: count)
    }
}
