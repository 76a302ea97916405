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
