/// One memory-mapped, fully validated GGUF file (v2 or v3, little-endian).
///
/// The whole file is mapped read-only (`PROT_READ`, `MAP_PRIVATE`); this reserves
/// address space only, pages are read on first touch. Tensor data is handed out
/// as views into the mapping without copying: such pointers are valid only while
/// this object is alive. To map just some bytes (e.g. one worker's experts) use
/// `mapBytes(_:)` / `mapExperts(ofTensor:experts:)`, which return independent
/// `GGUFMappedRegion`s.
public final class GGUFFile: Sendable {
    public let path: String
    /// 2 or 3.
    public let version: UInt32
    public let metadata: GGUFMetadata
    /// Tensor infos in file order.
    public let tensors: [GGUFTensorInfo]
    /// Data alignment (`general.alignment`, default 32).
    public let alignment: Int
    /// Absolute offset of the (aligned) data section.
    public let dataSectionOffset: Int
    public var fileSize: Int { region.fileSize }

    private let region: GGUFMappedRegion
    private let index: [String: Int]

    /// Opens, maps and validates the file. Throws `GGUFError` on any problem.
    public init(path: String) throws {
        let region = try GGUFMappedRegion(path: path)
        let parsed = try GGUFHeaderParser.parse(region.bytes, file: path)
        self.path = path
        self.region = region
        self.version = parsed.version
        self.metadata = parsed.metadata
        self.tensors = parsed.tensors
        self.alignment = parsed.alignment
        self.dataSectionOffset = parsed.dataSectionOffset
        var index: [String: Int] = [:]
        for (i, t) in parsed.tensors.enumerated() { index[t.name] = i }
        self.index = index
    }

    /// `general.architecture`, if present.
    public var architecture: String? { try? metadata.string("general.architecture") }

    /// All tensor names in file order.
    public var tensorNames: [String] { tensors.map(\.name) }

    public func tensor(named name: String) -> GGUFTensorInfo? {
        index[name].map { tensors[$0] }
    }

    /// Like `tensor(named:)` but throws `tensorNotFound`.
    public func requireTensor(_ name: String) throws -> GGUFTensorInfo {
        guard let t = tensor(named: name) else {
            throw GGUFError(.tensorNotFound, file: path, tensor: name, "no tensor with this name")
        }
        return t
    }

    /// The whole mapped file (valid while `self` is alive).
    public var mappedBytes: UnsafeRawBufferPointer { region.bytes }

    /// Bytes of an absolute file range inside the whole-file mapping (no copy).
    public func bytes(fileRange: Range<Int>) throws -> UnsafeRawBufferPointer {
        guard fileRange.lowerBound >= 0, fileRange.upperBound <= fileSize else {
            throw GGUFError(.indexOutOfRange, file: path, "byte range \(fileRange) is outside the file (size \(fileSize))")
        }
        return UnsafeRawBufferPointer(rebasing: region.bytes[fileRange])
    }

    /// Raw data of a tensor (no copy; valid while `self` is alive).
    public func tensorData(named name: String) throws -> UnsafeRawBufferPointer {
        try bytes(fileRange: requireTensor(name).fileRange)
    }

    /// Calls `body` with the raw data of a tensor, keeping the mapping alive.
    public func withTensorData<R>(named name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try withExtendedLifetime(self) { try body(try tensorData(named: name)) }
    }

    /// Maps just `fileRange` of this file into a new, independent region
    /// (page alignment of the mmap offset is handled inside).
    public func mapBytes(_ fileRange: Range<Int>) throws -> GGUFMappedRegion {
        try GGUFMappedRegion(path: path, fileRange: fileRange)
    }
}
