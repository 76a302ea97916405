/// One frame of a multipart message: small inline bytes (protocol header, protobuf header) or a
/// tensor held by reference (``TensorBytes``) so that rows are never copied on the way to or from
/// the socket.
///
/// The ZeroMQ layer sends `.inline` frames by copying (they are a few hundred bytes) and
/// `.tensor` frames zero-copy. Received frames may come in either case; decoding accepts both.
public enum FrameBytes: Sendable, Equatable {
    case inline([UInt8])
    case tensor(TensorBytes)

    /// Size in bytes.
    public var count: Int {
        switch self {
        case .inline(let bytes): bytes.count
        case .tensor(let tensor): tensor.count
        }
    }

    /// Calls `body` with the bytes; the pointer must not escape.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        switch self {
        case .inline(let bytes):
            // Array.withUnsafeBytes rethrows untyped; carry the typed error out in a Result.
            let result: Result<R, E> = bytes.withUnsafeBytes { buffer in
                Result { () throws(E) -> R in try body(buffer) }
            }
            return try result.get()
        case .tensor(let tensor):
            return try tensor.withUnsafeBytes(body)
        }
    }

    /// The frame as ``TensorBytes``: a `.tensor` frame as is (no copy), an `.inline` one copied
    /// into an owned buffer (receivers should hand big frames over as `.tensor`).
    public var tensorBytes: TensorBytes {
        switch self {
        case .tensor(let tensor):
            return tensor
        case .inline(let bytes):
            return TensorBytes(copying: bytes)
        }
    }

    /// Equality of contents, whichever case holds them.
    public static func == (lhs: FrameBytes, rhs: FrameBytes) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return lhs.withUnsafeBytes { a in rhs.withUnsafeBytes { b in a.elementsEqual(b) } }
    }
}
