/// Bounds-checked little-endian reader over the mapped bytes of a GGUF file.
/// Every read checks the remaining length first, so a corrupt file raises a
/// `GGUFError` instead of reading past the mapping.
struct GGUFByteCursor {
    let bytes: UnsafeRawBufferPointer
    let file: String
    private(set) var offset: Int = 0

    /// Error kind used when the data ends early (depends on the section being read).
    var truncationKind: GGUFError.Kind = .truncatedHeader
    /// Key or tensor being read, for error messages.
    var currentKey: String?
    var currentTensor: String?

    init(bytes: UnsafeRawBufferPointer, file: String) {
        self.bytes = bytes
        self.file = file
    }

    var remaining: Int { bytes.count - offset }

    func error(_ kind: GGUFError.Kind, _ detail: String) -> GGUFError {
        GGUFError(kind, file: file, tensor: currentTensor, key: currentKey, detail)
    }

    private func requireBytes(_ n: Int, _ what: String) throws {
        guard n <= remaining else {
            throw error(truncationKind,
                        "file ends while reading \(what) at byte \(offset) (needs \(n) bytes, \(remaining) left)")
        }
    }

    mutating func skip(_ n: Int) { offset += n }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: String) throws -> T {
        try requireBytes(MemoryLayout<T>.size, what)
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    mutating func readFloat(_ what: String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, what))
    }

    mutating func readDouble(_ what: String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, what))
    }

    /// A GGUF string: u64 byte length then UTF-8 bytes (no terminator). The
    /// length is checked against the bytes left in the file before any allocation.
    mutating func readString(_ what: String) throws -> String {
        let length = try read(UInt64.self, "length of \(what)")
        guard length <= UInt64(remaining) else {
            throw error(.absurdStringLength,
                        "\(what) claims \(length) bytes but only \(remaining) bytes are left in the file")
        }
        let n = Int(length)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + n])
        offset += n
        return String(decoding: slice, as: UTF8.self)
    }

    /// Raw bytes of a string (for comparisons that must not depend on decoding).
    mutating func readStringBytes(_ what: String) throws -> UnsafeRawBufferPointer {
        let length = try read(UInt64.self, "length of \(what)")
        guard length <= UInt64(remaining) else {
            throw error(.absurdStringLength,
                        "\(what) claims \(length) bytes but only \(remaining) bytes are left in the file")
        }
        let n = Int(length)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + n])
        offset += n
        return slice
    }
}
