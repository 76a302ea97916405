import SwitchyardTensor
import NIOCore
import NIOHTTP1
import NIOPosix

/// A minimal HTTP/1.1 client for the benchmark: one connection per request, response parts handed
/// over the moment they are read so SSE events can be timestamped as they arrive.
///
/// A connection per request keeps requests independent (no head-of-line blocking behind a slow
/// stream on a shared connection) and makes every failure belong to exactly one request. It only
/// ever connects to the host and port of the URL it was made with.
public struct BenchHTTPClient: Sendable {
    public let url: BenchURL
    private let group: any EventLoopGroup

    public init(url: BenchURL, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.url = url
        self.group = group
    }

    /// Sends `request` and passes each response part to `onEvent` as it arrives, ending with `.end`.
    ///
    /// Throws `HTTPClientError` for transport failures and time limits, or whatever `onEvent` throws
    /// (which ends the exchange early).
    public func execute(
        _ request: HTTPRequestSpec,
        timeouts: HTTPTimeouts,
        onEvent: (HTTPResponseEvent) throws -> Void
    ) async throws {
        let guardian = TimeoutGuard()
        let started = ContinuousClock.now
        let channel = try await connect(timeouts: timeouts, guardian: guardian)
        let remaining = Swift.max(0, timeouts.total - started.duration(to: .now).seconds)
        let timer = channel.channel.eventLoop.scheduleTask(in: remaining.timeAmount) { [channel = channel.channel] in
            guardian.fire(.totalTimeout(seconds: timeouts.total))
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        let raw = channel.channel
        do {
            // Closing the channel on cancellation ends a read that would otherwise wait for the server.
            try await withTaskCancellationHandler {
                try await exchange(channel, request, guardian, onEvent)
            } onCancel: {
                raw.close(promise: nil)
            }
        } catch let error as HTTPClientError {
            throw guardian.error ?? error
        } catch let error as HTTPParserError {
            if let fired = guardian.error { throw fired }
            throw HTTPClientError.invalidResponse("\(error)")
        } catch let error as HandlerError {
            throw error.inner
        } catch {
            if let fired = guardian.error { throw fired }
            if error is CancellationError { throw error }
            throw HTTPClientError.connectionLost("\(error)")
        }
    }

    /// Carries an error thrown by the caller's event handler past the transport error mapping.
    private struct HandlerError: Error {
        let inner: any Error
    }

    /// Writes the request and reads the response until its end, the server closing, or a limit.
    private func exchange(
        _ channel: NIOAsyncChannel<TimedResponsePart, HTTPClientRequestPart>,
        _ request: HTTPRequestSpec,
        _ guardian: TimeoutGuard,
        _ onEvent: (HTTPResponseEvent) throws -> Void
    ) async throws {
        func deliver(_ event: HTTPResponseEvent) throws(HandlerError) {
            do { try onEvent(event) } catch { throw HandlerError(inner: error) }
        }
        try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(.head(head(for: request)))
            if let body = request.body {
                try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
            }
            try await outbound.write(.end(nil))
            for try await timed in inbound {
                switch timed.part {
                case .head(let response):
                    try deliver(.head(status: Int(response.status.code), headers: response.headers))
                case .body(let buffer):
                    try deliver(.body(buffer, receivedAt: timed.receivedAt))
                case .end:
                    try deliver(.end)
                    return
                }
            }
            if let fired = guardian.error { throw fired }
            throw HTTPClientError.connectionLost("server closed the connection before the response ended")
        }
    }

    private func connect(
        timeouts: HTTPTimeouts, guardian: TimeoutGuard
    ) async throws(HTTPClientError) -> NIOAsyncChannel<TimedResponsePart, HTTPClientRequestPart> {
        let readTimeout = timeouts.read
        do {
            return try await ClientBootstrap(group: group)
                .connectTimeout(Swift.min(timeouts.connect, timeouts.total).timeAmount)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .connect(host: url.host, port: url.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: readTimeout.timeAmount))
                        try channel.pipeline.syncOperations.addHandler(ReadTimeoutHandler(guardian: guardian, seconds: readTimeout))
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(ArrivalTimestampHandler())
                        return try NIOAsyncChannel<TimedResponsePart, HTTPClientRequestPart>(
                            wrappingChannelSynchronously: channel
                        )
                    }
                }
        } catch {
            throw .connect("\(url.host):\(url.port): \(Self.describe(error))")
        }
    }

    private func head(for request: HTTPRequestSpec) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: url.hostHeader)
        headers.add(name: "User-Agent", value: "switchyard-bench")
        headers.add(name: "Accept", value: request.accept)
        headers.add(name: "Connection", value: "close")
        if let body = request.body {
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(body.count))
        }
        return HTTPRequestHead(version: .http1_1, method: request.method, uri: request.path, headers: headers)
    }

    /// A short, readable cause for connect errors (NIO's descriptions nest several layers).
    static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("connectTimeout") { return "connect timed out" }
        if text.contains("Connection refused") || text.contains("errno: 111") {
            return "connection refused (is the server running?)"
        }
        if text.contains("dnsAError") && text.contains("connectionErrors: []") { return "cannot resolve host name" }
        return text
    }
}
