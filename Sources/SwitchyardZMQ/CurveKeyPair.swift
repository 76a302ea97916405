import CZeroMQ

/// A CURVE long-term key pair. The server's public key is what clients are configured with; each
/// client's public key is what the server's `ZAPHandler` allow-list holds.
public struct CurveKeyPair: Sendable, Hashable {
    /// The half that may be shared.
    public let publicKey: CurveKey
    /// The half that must stay private.
    public let secretKey: CurveKey

    /// A fresh random key pair (`zmq_curve_keypair`).
    public static func generate() throws(CurveKeyError) -> CurveKeyPair {
        var publicText = [CChar](repeating: 0, count: CurveKey.z85Count + 1)
        var secretText = [CChar](repeating: 0, count: CurveKey.z85Count + 1)
        if zmq_curve_keypair(&publicText, &secretText) != 0 {
            throw .unavailable(ZMQError.last("zmq_curve_keypair"))
        }
        return CurveKeyPair(
            publicKey: try CurveKey(z85: String(nulTerminated: publicText)),
            secretKey: try CurveKey(z85: String(nulTerminated: secretText))
        )
    }

    /// The pair for a secret key, deriving the public half (`zmq_curve_public`).
    public init(secretKey: CurveKey) throws(CurveKeyError) {
        var publicText = [CChar](repeating: 0, count: CurveKey.z85Count + 1)
        if zmq_curve_public(&publicText, secretKey.z85) != 0 {
            throw .unavailable(ZMQError.last("zmq_curve_public"))
        }
        self.publicKey = try CurveKey(z85: String(nulTerminated: publicText))
        self.secretKey = secretKey
    }

    /// The pair from both halves in Z85, checking that they belong together.
    public init(publicZ85: String, secretZ85: String) throws(CurveKeyError) {
        let derived = try CurveKeyPair(secretKey: CurveKey(z85: secretZ85))
        let given = try CurveKey(z85: publicZ85)
        guard derived.publicKey == given else { throw .mismatchedPair }
        self = derived
    }

    private init(publicKey: CurveKey, secretKey: CurveKey) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }
}

extension String {
    /// Text from a NUL-terminated C buffer filled in by libzmq.
    init(nulTerminated buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
