import SwitchyardTensor

/// One tensor entry of a safetensors header: where its bytes are and how to read them.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    /// Byte offset of the first element, relative to the start of the data region.
    public var dataStart: Int
    /// Byte offset one past the last element, relative to the start of the data region.
    public var dataEnd: Int

    public init(name: String, dtype: DType, shape: [Int], dataStart: Int, dataEnd: Int) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.dataStart = dataStart
        self.dataEnd = dataEnd
    }

    /// Number of elements (1 for a 0-d scalar).
    public var elementCount: Int { shape.reduce(1, *) }
    /// Number of bytes.
    public var byteCount: Int { dataEnd - dataStart }
}
