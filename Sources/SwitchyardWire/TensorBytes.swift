import SwitchyardTensor
/// The bytes of one tensor frame, held by reference: an owner object that keeps the memory alive,
/// a pointer into it and a byte count.
///
/// Building a message never copies rows: wrap the buffer the rows already live in with
/// ``init(owner:baseAddress:count:)`` and the ZeroMQ layer can send it zero-copy (retaining
/// ``owner`` until libzmq is done). Received frames are wrapped the same way, with the received
/// message as owner, and viewed or copied out with ``withUnsafeBytes(_:)`` and
/// ``copyElements(as:into:)``.
///
/// The bytes must not change while any `TensorBytes` refers to them; that contract is what makes
/// the type `@unchecked Sendable`. Equality compares contents, not identity.
public struct TensorBytes: @unchecked Sendable {
    /// Keeps the memory alive; nil only for the empty tensor.
    public let owner: (any AnyObject & Sendable)?
    /// Start of the bytes; nil only when `count` is 0.
    public let baseAddress: UnsafeRawPointer?
    /// Size in bytes.
    public let count: Int

    /// Wraps memory owned by `owner` without copying. The caller promises that
    /// `baseAddress..<baseAddress+count` stays valid and unchanged while `owner` lives.
    public init(owner: any AnyObject & Sendable, baseAddress: UnsafeRawPointer, count: Int) {
        self.owner = owner
        self.baseAddress = count > 0 ? baseAddress : nil
        self.count = max(count, 0)
    }

    /// A tensor of zero bytes.
    public static let empty = TensorBytes()

    private init() {
        owner = nil
        baseAddress = nil
        count = 0
    }

    /// Allocates `count` bytes and lets `initialize` write all of them once; the result owns them.
    public static func build<E: Error>(
        count: Int,
        _ initialize: (UnsafeMutableRawBufferPointer) throws(E) -> Void
    ) throws(E) -> TensorBytes {
        let storage = ByteStorage(count: count)
        try initialize(UnsafeMutableRawBufferPointer(start: storage.baseAddress, count: storage.count))
        return TensorBytes(owner: storage, baseAddress: UnsafeRawPointer(storage.baseAddress), count: storage.count)
    }

    /// Copies raw bytes into a new owned buffer.
    public init(copying bytes: UnsafeRawBufferPointer) {
        self = Self.build(count: bytes.count) { destination in
            if let source = bytes.baseAddress, bytes.count > 0 {
                destination.baseAddress!.copyMemory(from: source, byteCount: bytes.count)
            }
        }
    }

    /// Copies bytes of an array into a new owned buffer.
    public init(copying bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { TensorBytes(copying: $0) }
    }

    /// Encodes floats as little-endian `f32` (a copy; for tests and small tensors).
    public init(f32 values: some Collection<Float>) {
        self = Self.build(count: values.count * 4) { destination in
            var offset = 0
            for value in values {
                destination.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: offset, as: UInt32.self)
                offset += 4
            }
        }
    }

    /// Encodes floats as little-endian `bf16`, rounding to nearest even.
    public init(bf16 values: some Collection<Float>) {
        self = Self.build(count: values.count * 2) { destination in
            var offset = 0
            for value in values {
                destination.storeBytes(of: DTypeConversion.floatToBF16Bits(value).littleEndian, toByteOffset: offset, as: UInt16.self)
                offset += 2
            }
        }
    }

    /// Calls `body` with the bytes; the pointer must not escape.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withExtendedLifetime(owner) { () throws(E) -> R in
            try body(UnsafeRawBufferPointer(start: baseAddress, count: count))
        }
    }

    /// The bytes as a new array (a copy).
    public var byteArray: [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// Number of elements of `dtype` the bytes hold, or nil when the size is not a multiple of the
    /// element size or the dtype is not one the wire allows.
    public func elementCount(of dtype: Switchyard_V1_DType) -> Int? {
        guard let size = dtype.elementSize, count % size == 0 else { return nil }
        return count / size
    }

    /// Converts the elements (stored as `dtype`, little-endian) to `Float` into `destination`,
    /// which must have exactly ``elementCount(of:)`` elements. Works on unaligned received frames.
    public func copyElements(
        as dtype: Switchyard_V1_DType,
        into destination: UnsafeMutableBufferPointer<Float>
    ) throws(WireError) {
        guard let elements = elementCount(of: dtype) else {
            throw .invalidField("tensor of \(count) bytes is not a whole number of \(dtype.wireName) elements")
        }
        guard elements == destination.count else {
            throw .tensorSizeMismatch(expected: destination.count * (dtype.elementSize ?? 4), actual: count)
        }
        guard elements > 0, let out = destination.baseAddress else { return }
        withUnsafeBytes { source in
            switch dtype {
            case .bf16:
                DTypeConversion.bf16ToF32(UnsafeRawBufferPointer(rebasing: source[0..<(elements * 2)]), out, count: elements)
            default:
                #if _endian(little)
                UnsafeMutableRawPointer(out).copyMemory(from: source.baseAddress!, byteCount: elements * 4)
                #else
                for i in 0..<elements {
                    let bits = UInt32(littleEndian: source.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
                    out[i] = Float(bitPattern: bits)
                }
                #endif
            }
        }
    }

    /// The elements as a new `Float` array (a copy), or nil when the size does not fit `dtype`.
    public func floats(as dtype: Switchyard_V1_DType) -> [Float]? {
        guard let elements = elementCount(of: dtype) else { return nil }
        var result = [Float](repeating: 0, count: elements)
        do {
            try result.withUnsafeMutableBufferPointer { buffer throws(WireError) in
                try copyElements(as: dtype, into: buffer)
            }
        } catch {
            return nil
        }
        return result
    }
}

extension TensorBytes: Equatable {
    /// Byte-wise equality of the contents.
    public static func == (lhs: TensorBytes, rhs: TensorBytes) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.count == 0 || lhs.baseAddress == rhs.baseAddress { return true }
        return lhs.withUnsafeBytes { a in rhs.withUnsafeBytes { b in a.elementsEqual(b) } }
    }
}

extension TensorBytes: CustomStringConvertible {
    public var description: String { "TensorBytes(\(count) bytes)" }
}
