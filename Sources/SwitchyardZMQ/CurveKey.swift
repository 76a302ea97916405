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



extension Substring {
    func trimmingWhitespace() -> Substring {
        var s = self
        while let first = s.first, first.isWhitespace { s = s.dropFirst() }
        while let last = s.last, last.isWhitespace { s = s.dropLast() }
        return s
    }
}
