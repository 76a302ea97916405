/// Description of one tensor in a GGUF file.
///
/// `dimensions` are in ggml order: `dimensions[0]` (ne0) is the contiguous row
/// length. In row-major (PyTorch/HF) terms the shape is `dimensions.reversed()`,
/// e.g. a stacked expert tensor with ne = [in, out, E] is [E, out, in].
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// ggml order (ne0 first); 0 to 4 entries.
    public let dimensions: [Int]
    public let type: GGUFTensorType
    /// Offset of the data relative to the start of the data section (as stored).
    public let offset: Int
    /// Absolute offset of the data in the file.
    public let fileOffset: Int
    /// Size of the data in bytes.
    public let byteCount: Int
    /// Product of the dimensions.
    public let elementCount: Int

    public init(name: String, dimensions: [Int], type: GGUFTensorType, offset: Int,
                fileOffset: Int, byteCount: Int, elementCount: Int) {
        self.name = name
        self.dimensions = dimensions
        self.type = type
        self.offset = offset
        self.fileOffset = fileOffset
        self.byteCount = byteCount
        self.elementCount = elementCount
    }

    /// Row-major shape (outermost first), i.e. `dimensions.reversed()`.
    public var shape: [Int] { dimensions.reversed() }

    /// Elements per row (ne0); 1 for a 0-dimensional tensor.
    public var rowLength: Int { dimensions.first ?? 1 }

    /// Number of rows (product of ne1...).
    public var rowCount: Int { rowLength == 0 ? 0 : elementCount / rowLength }

    /// Bytes per row.
    public var rowByteCount: Int { type.rowByteCount(rowLength: rowLength) ?? 0 }

    /// Absolute byte range of the data in its file.
    public var fileRange: Range<Int> { fileOffset ..< fileOffset + byteCount }
}
