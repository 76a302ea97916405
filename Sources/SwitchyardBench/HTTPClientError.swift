/// Why an HTTP exchange failed, before any meaning is given to the answer.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The TCP connection could not be made (refused, unreachable, name not resolved, connect timeout).
    case connect(String)
    /// The whole request took longer than allowed.
    case totalTimeout(seconds: Double)
    /// No byte arrived for the read timeout.
    case readTimeout(seconds: Double)
    /// The connection closed or broke before the response was complete.
    case connectionLost(String)
    /// The bytes received are not a valid HTTP/1.1 response.
    case invalidResponse(String)

    public var description: String {
        switch self {
        case .connect(let why): "cannot connect: \(why)"
        case .totalTimeout(let s): "no complete response within \(s) s"
        case .readTimeout(let s): "no data from the server for \(s) s"
        case .connectionLost(let why): "connection lost: \(why)"
        case .invalidResponse(let why): "not an HTTP response: \(why)"
        }
    }
}
