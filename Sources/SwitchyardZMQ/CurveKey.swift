import CZeroMQ

/// A 32-byte CURVE key (public or secret), written as 40 characters of Z85 text in files and configs.
///
/// `description` prints the Z85 text, so do not log secret keys.
public struct CurveKey: Sendable, Hashable, CustomStringConvertible {
    /// The raw 32 bytes.
    public let bytes: [UInt8]

    /// Bytes in a key.
    public static let byteCount = 32
    /// Characters in a key's Z85 text.
    public static let z85Count = 40

    /// A key from its 32 raw bytes.
    public init(bytes: [UInt8]) throws(CurveKeyError) {
        guard bytes.count == Self.byteCount else { throw .wrongByteCount(bytes.count) }
        self.bytes = bytes
    }

    /// A key from Z85 text (surrounding whitespace, as in a key file, is ignored).
    /// Throws `CurveKeyError` naming what is wrong: the length or the first bad character.
    public init(z85 text: String) throws(CurveKeyError) {
        let trimmed = Substring(text).trimmingWhitespace()
        let scalars = Array(trimmed.unicodeScalars)
        guard scalars.count == Self.z85Count else { throw .wrongLength(scalars.count) }
        for (offset, scalar) in scalars.enumerated() where !Z85.alphabet.contains(scalar) {
            throw .invalidCharacter(Character(scalar), offset: offset)
        }
        var decoded = [UInt8](repeating: 0, count: Self.byteCount)
        let ok = decoded.withUnsafeMutableBufferPointer { out in
            String(trimmed).withCString { zmq_z85_decode(out.baseAddress, $0) != nil }
        }
        guard ok else { throw .invalidCharacter(Character(scalars[0]), offset: 0) }
        self.bytes = decoded
    }

    /// The key as 40 characters of Z85.
    public var z85: String { Z85.encode(bytes) }

    public var description: String { z85 }
}

/// Why text or bytes are not a CURVE key.
public enum CurveKeyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Z85 text of the wrong length (a key is exactly 40 characters).
    case wrongLength(Int)
    /// A character outside the Z85 alphabet at `offset`.
    case invalidCharacter(Character, offset: Int)
    /// Raw key material of the wrong size (a key is exactly 32 bytes).
    case wrongByteCount(Int)
    /// A public key that is not the one derived from the secret key it was paired with.
    case mismatchedPair
    /// libzmq was built without CURVE support or failed to make a key.
    case unavailable(ZMQError)

    public var description: String {
        switch self {
        case .wrongLength(let n): "a CURVE key in Z85 is 40 characters, got \(n)"
        case .invalidCharacter(let c, let offset): "character \(c.debugDescription) at offset \(offset) is not in the Z85 alphabet"
        case .wrongByteCount(let n): "a CURVE key is 32 bytes, got \(n)"
        case .mismatchedPair: "the public key does not belong to the secret key"
        case .unavailable(let error): "CURVE is unavailable: \(error)"
        }
    }
}

/// Z85 (ZeroMQ RFC 32) text encoding, through libzmq.
enum Z85 {
    static let alphabet: Set<Unicode.Scalar> = Set(
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".unicodeScalars
    )

    /// Encodes `bytes` (a multiple of 4 long) as Z85 text.
    static func encode(_ bytes: [UInt8]) -> String {
        precondition(bytes.count % 4 == 0, "Z85 encodes multiples of 4 bytes")
        var text = [CChar](repeating: 0, count: bytes.count * 5 / 4 + 1)
        _ = text.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { zmq_z85_encode(out.baseAddress, $0.baseAddress, $0.count) }
        }
        return String(nulTerminated: text)
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var s = self
        while let first = s.first, first.isWhitespace { s = s.dropFirst() }
        while let last = s.last, last.isWhitespace { s = s.dropLast() }
        return s
    }
}
