import NIOCore
import NIOHTTP1

/// One HTTP request to send: method, path, body and the media type asked for.
public struct HTTPRequestSpec: Sendable {
    public var method: HTTPMethod
    public var path: String
    public var body: [UInt8]?
    public var accept: String

    public init(method: HTTPMethod, path: String, body: [UInt8]? = nil, accept: String = "application/json") {
        self.method = method
        self.path = path
        self.body = body
        self.accept = accept
    }
}

/// A piece of the response, delivered as soon as it is read from the socket.
public enum HTTPResponseEvent {
    case head(status: Int, headers: HTTPHeaders)
    /// Body bytes and when the event loop read them.
    case body(ByteBuffer, receivedAt: ContinuousClock.Instant)
    case end
}

/// The time limits of one exchange, in seconds.
public struct HTTPTimeouts: Sendable, Equatable {
    public var connect: Double
    public var read: Double
    public var total: Double

    public init(connect: Double, read: Double, total: Double) {
        self.connect = connect
        self.read = read
        self.total = total
    }
}

extension Double {
    /// Seconds as a NIO `TimeAmount`, saturating far beyond any run.
    var timeAmount: TimeAmount { .nanoseconds(Int64(Swift.min(self, 1e9) * 1e9)) }
}
