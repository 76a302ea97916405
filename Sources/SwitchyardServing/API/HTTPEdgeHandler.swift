import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1

/// Limits of one HTTP connection that Hummingbird leaves to its user.
public struct HTTPEdgeLimits: Sendable, Equatable {
    /// From the first byte of a request until its head is complete.
    public var headerTimeout: Duration
    /// From the end of a request's head until the end of its body.
    public var bodyTimeout: Duration
    /// A connection with no request in progress is closed after this long.
    public var idleTimeout: Duration
    /// Bytes of one header field, and of all header fields together (431 past them).
    public var maxHeaderBytes: Int
    /// Header fields of one request (431 past it).
    public var maxHeaderCount: Int
    /// A declared `Content-Length` past this is answered 413 before any body is read.
    public var maxBodyBytes: Int

    public init(headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(30), idleTimeout: Duration = .seconds(75),
                maxHeaderBytes: Int = 64 << 10, maxHeaderCount: Int = 100, maxBodyBytes: Int = 8 << 20) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }
}

/// The HTTP/1 edges of one connection, between NIO's HTTP/1 codec and Hummingbird's HTTP types:
///
/// * a request's head must arrive within `headerTimeout` of its first byte and its body within
///   `bodyTimeout` of its head (408, then close) — slow-header and slow-body clients hold nothing;
/// * parser errors (header fields too large or too many: 431; a bad `Content-Length`, an unknown
///   method, a malformed request line: 400) are answered in OpenAI's JSON shape with a sentence,
///   where Hummingbird would answer an empty 400;
/// * a declared body larger than the limit is answered 413 at once, not waited for;
/// * an HTTP/1.0 request is answered as HTTP/1.0: `Connection: close`, no chunking (a stream
///   ends when the connection closes), and the connection closes after the response.
///
/// Installed by `HTTPEdgeInstaller` (from Hummingbird's additional channel handlers) in front of
/// `HTTP1ToHTTPServerCodec`; `ByteArrivalHandler` at the front of the pipeline tells it when the
/// first byte of a request arrives. Event-loop confined.
final class HTTPEdgeHandler: ChannelDuplexHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let limits: HTTPEdgeLimits
    private var requestVersion: HTTPVersion = .http1_1
    /// Between a request's first byte and the end of its body.
    private var reading = false
    /// A response head went out and its end did not yet.
    private var responding = false
    /// This handler answered (an error or timeout): the rest of the request is ignored.
    private var answered = false
    private var timer: Scheduled<Void>?

    init(limits: HTTPEdgeLimits) {
        self.limits = limits
    }

    // MARK: Inbound

    /// The first byte of a request arrived (from `ByteArrivalHandler`).
    func bytesArrived(context: ChannelHandlerContext) {
        guard !reading, !responding, !answered else { return }
        reading = true
        arm(context: context, after: limits.headerTimeout, status: .requestTimeout,
            message: "The request head did not arrive within \(Self.text(limits.headerTimeout)).")
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let head):
            reading = true
            requestVersion = head.version
            if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > limits.maxBodyBytes {
                answer(context: context, status: .payloadTooLarge,
                       message: "The request body (\(length) bytes) is larger than the limit of \(limits.maxBodyBytes) bytes.")
                return
            }
            arm(context: context, after: limits.bodyTimeout, status: .requestTimeout,
                message: "The request body did not arrive within \(Self.text(limits.bodyTimeout)).")
        case .body:
            break
        case .end:
            reading = false
            timer?.cancel()
            timer = nil
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, !responding, !answered else {
            context.fireErrorCaught(error)
            return
        }
        let (status, message) = Self.explain(parserError, limits: limits)
        answer(context: context, status: status, message: message)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        switch part {
        case .head(var head):
            responding = true
            if requestVersion.major == 1 && requestVersion.minor == 0 {
                head.version = .http1_0
                head.headers.remove(name: "transfer-encoding")
                head.headers.replaceOrAdd(name: "connection", value: "close")
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            responding = false
            let closing = requestVersion.major == 1 && requestVersion.minor == 0
            if closing {
                let written = promise ?? context.eventLoop.makePromise()
                context.write(data, promise: written)
                written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            } else {
                context.write(data, promise: promise)
            }
        }
    }

    // MARK: Answers

    private func arm(context: ChannelHandlerContext, after delay: Duration, status: HTTPResponseStatus, message: String) {
        timer?.cancel()
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) { [weak self] in
            guard let self, !self.responding, !self.answered else { return }
            self.answer(context: context, status: status, message: message)
        }
    }

    /// Writes an OpenAI-shaped error and closes the connection.
    private func answer(context: ChannelHandlerContext, status: HTTPResponseStatus, message: String) {
        answered = true
        timer?.cancel()
        timer = nil
        let body = OpenAIError(status: .init(code: Int(status.code)), message: message, type: "invalid_request_error").body
        let bytes = (try? JSONResponse.encoder.encode(body)) ?? Data("{\"error\":{\"message\":\"bad request\"}}".utf8)
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: "\(bytes.count)")
        headers.add(name: "connection", value: "close")
        let version: HTTPVersion = requestVersion.major == 1 && requestVersion.minor == 0 ? .http1_0 : .http1_1
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: bytes)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    /// Status and sentence for a parser error.
    static func explain(_ error: HTTPParserError, limits: HTTPEdgeLimits) -> (HTTPResponseStatus, String) {
        switch error {
        case .headerOverflow:
            return (.requestHeaderFieldsTooLarge,
                    "The request headers are too large: at most \(limits.maxHeaderCount) fields of \(limits.maxHeaderBytes) bytes in all.")
        case .invalidContentLength, .unexpectedContentLength:
            return (.badRequest, "The Content-Length header is not a valid length.")
        case .invalidMethod:
            return (.badRequest, "The request method is not one this server knows.")
        case .invalidURL:
            return (.badRequest, "The request target (URL) is malformed.")
        case .invalidVersion, .invalidConstant:
            return (.badRequest, "The request line is not HTTP/1.0 or HTTP/1.1.")
        case .invalidChunkSize:
            return (.badRequest, "The request body's chunked encoding is malformed.")
        default:
            return (.badRequest, "The request is not valid HTTP/1.1.")
        }
    }

    static func text(_ duration: Duration) -> String {
        let milliseconds = duration.milliseconds
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }
}

/// First in the pipeline: tells the edge handler when bytes of a request begin to arrive.
final class ByteArrivalHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let edge: HTTPEdgeHandler
    private weak var edgeContext: ChannelHandlerContext?

    init(edge: HTTPEdgeHandler, edgeContext: ChannelHandlerContext) {
        self.edge = edge
        self.edgeContext = edgeContext
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let edgeContext { edge.bytesArrived(context: edgeContext) }
        context.fireChannelRead(data)
    }
}

/// Added through Hummingbird's `additionalChannelHandlers` (which sit after the HTTP types
/// codec): moves the edge handler to where it sees NIO's HTTP/1 parts and removes itself.
final class HTTPEdgeInstaller: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = NIOAny

    private let limits: HTTPEdgeLimits

    init(limits: HTTPEdgeLimits) {
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let pipeline = context.pipeline.syncOperations
        let edge = HTTPEdgeHandler(limits: limits)
        do {
            let codec = try pipeline.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(edge, position: .after(codec.handler))
            let edgeContext = try pipeline.context(handler: edge)
            try pipeline.addHandler(ByteArrivalHandler(edge: edge, edgeContext: edgeContext), position: .first)
        } catch {
            // Without the edge handler the connection still works, only without its limits.
        }
        pipeline.removeHandler(context: context, promise: nil)
    }
}
