/// Who a `ZAPHandler` lets in. Pure value: `decide(_:)` maps a request to a reply.
public struct ZAPPolicy: Sendable, Hashable {
    /// CURVE client public keys allowed to connect; nil accepts every CURVE client (encryption only,
    /// no authentication: anyone who knows the server's public key gets in).
    public var allowedCurveKeys: Set<CurveKey>?
    /// Whether NULL-mechanism connections of sockets that set a ZAP domain are accepted.
    public var allowNullMechanism: Bool
    /// If set, requests for any other ZAP domain are refused.
    public var domain: String?

    public init(allowedCurveKeys: Set<CurveKey>?, allowNullMechanism: Bool = false, domain: String? = nil) {
        self.allowedCurveKeys = allowedCurveKeys
        self.allowNullMechanism = allowNullMechanism
        self.domain = domain
    }

    /// The reply for `request`. Accepted CURVE clients get their public key (Z85) as user id.
    public func decide(_ request: ZAPRequest) -> ZAPReply {
        if let domain, request.domain != domain {
            return .refuse("domain \(request.domain.debugDescription) is not served")
        }
        switch request.mechanism {
        case "CURVE":
            guard let key = request.curveKey else { return .refuse("malformed CURVE credentials") }
            if let allowed = allowedCurveKeys, !allowed.contains(key) {
                return .refuse("client key not allowed")
            }
            return .accept(userID: key.z85)
        case "NULL":
            return allowNullMechanism ? .accept(userID: "") : .refuse("NULL mechanism not allowed")
        default:
            return .refuse("mechanism \(request.mechanism) not supported")
        }
    }
}
