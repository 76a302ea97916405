/// A ZAP authentication request (ZeroMQ RFC 27), as libzmq sends it to `inproc://zeromq.zap.01`
/// during each handshake on a socket that uses security or sets a ZAP domain.
public struct ZAPRequest: Sendable, Hashable {
    /// The protocol version; always "1.0".
    public static let version = "1.0"

    /// Opaque id the reply must echo.
    public let requestID: [UInt8]
    /// The socket's `zapDomain`.
    public let domain: String
    /// The peer's IP address as text.
    public let address: String
    /// The socket's routing id (often empty).
    public let identity: [UInt8]
    /// "NULL", "PLAIN" or "CURVE".
    public let mechanism: String
    /// Mechanism-specific: for CURVE, one frame with the client's 32-byte long-term public key.
    public let credentials: [[UInt8]]

    /// The client's CURVE public key, when the mechanism is CURVE and the credential is well formed.
    public var curveKey: CurveKey? {
        guard mechanism == "CURVE", credentials.count == 1 else { return nil }
        return try? CurveKey(bytes: credentials[0])
    }

    public init(
        requestID: [UInt8], domain: String, address: String, identity: [UInt8],
        mechanism: String, credentials: [[UInt8]]
    ) {
        self.requestID = requestID
        self.domain = domain
        self.address = address
        self.identity = identity
        self.mechanism = mechanism
        self.credentials = credentials
    }

    /// Parses the frames of a request: version, request id, domain, address, identity,
    /// mechanism, then the credential frames.
    public init(frames: [[UInt8]]) throws(ZAPRequestError) {
        guard frames.count >= 6 else { throw .tooFewFrames(frames.count) }
        let version = String(decoding: frames[0], as: UTF8.self)
        guard version == Self.version else { throw .unsupportedVersion(version) }
        self.requestID = frames[1]
        self.domain = String(decoding: frames[2], as: UTF8.self)
        self.address = String(decoding: frames[3], as: UTF8.self)
        self.identity = frames[4]
        self.mechanism = String(decoding: frames[5], as: UTF8.self)
        self.credentials = Array(frames.dropFirst(6))
    }
}

/// Why frames are not a valid ZAP request.
public enum ZAPRequestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Fewer than the six mandatory frames.
    case tooFewFrames(Int)
    /// A version other than "1.0".
    case unsupportedVersion(String)

    public var description: String {
        switch self {
        case .tooFewFrames(let n): "ZAP request has \(n) frames, needs at least 6"
        case .unsupportedVersion(let v): "ZAP version \(v.debugDescription) is not 1.0"
        }
    }
}
