/// A ZAP reply (RFC 27): version, request id, status code, status text, user id, metadata.
public struct ZAPReply: Sendable, Hashable {
    /// "200" (accepted), "300" (temporary failure), "400" (refused) or "500" (internal error).
    public let statusCode: String
    /// Human-readable reason, logged by nobody but useful in tests and our own logs.
    public let statusText: String
    /// The authenticated identity; received frames expose it as `metadata("User-Id")`.
    public let userID: String
    /// ZMTP-encoded metadata properties (empty here).
    public let metadata: [UInt8]

    /// Whether the connection is allowed.
    public var isAccepted: Bool { statusCode == "200" }

    /// An acceptance, naming the peer `userID`.
    public static func accept(userID: String) -> ZAPReply {
        ZAPReply(statusCode: "200", statusText: "OK", userID: userID, metadata: [])
    }

    /// A refusal ("400") with a reason.
    public static func refuse(_ reason: String) -> ZAPReply {
        ZAPReply(statusCode: "400", statusText: reason, userID: "", metadata: [])
    }

    /// An internal error ("500"), for requests the handler cannot understand.
    public static func internalError(_ reason: String) -> ZAPReply {
        ZAPReply(statusCode: "500", statusText: reason, userID: "", metadata: [])
    }

    /// The six reply frames answering the request with `requestID`.
    public func frames(requestID: [UInt8]) -> [[UInt8]] {
        [Array(ZAPRequest.version.utf8), requestID, Array(statusCode.utf8), Array(statusText.utf8), Array(userID.utf8), metadata]
    }
}
