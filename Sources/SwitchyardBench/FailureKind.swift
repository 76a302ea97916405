/// Why a request failed, in the categories the summary counts separately.
public enum FailureKind: String, Sendable, Codable, CaseIterable, Comparable {
    /// No TCP connection: refused, unreachable, DNS failure or connect timeout.
    case connect
    /// The server answered with a status other than 200.
    case httpStatus = "http_status"
    /// The request did not finish within `--timeout` (or no bytes arrived within the read timeout).
    case timeout
    /// The answer was not an OpenAI completion stream: bad JSON, an error event, no `[DONE]`.
    case malformedStream = "malformed_stream"
    /// The connection broke after it was established (reset, closed mid-answer).
    case connectionLost = "connection_lost"
    /// Never finished because the run ended first (`--max-duration` or an interrupt).
    case aborted

    /// A short label for tables.
    public var label: String {
        switch self {
        case .connect: "connect"
        case .httpStatus: "HTTP status"
        case .timeout: "timeout"
        case .malformedStream: "malformed stream"
        case .connectionLost: "connection lost"
        case .aborted: "aborted (run ended)"
        }
    }

    public static func < (a: FailureKind, b: FailureKind) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// A failed request's kind and a message for the user (e.g. `HTTP 500: {"error": ...}`).
public struct RequestFailure: Error, Sendable, Codable, Equatable {
    public var kind: FailureKind
    public var message: String
    /// The HTTP status for `.httpStatus` failures.
    public var status: Int?

    public init(_ kind: FailureKind, _ message: String, status: Int? = nil) {
        self.kind = kind
        self.message = message
        self.status = status
    }
}
