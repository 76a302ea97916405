import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import SwitchyardModel
import SwitchyardTokenizer

/// What `/health` reports: ready to serve or not, and why.
public struct HealthReport: Sendable {
    public var ready: Bool
    public var status: String
    public var detail: [String: String]

    public init(ready: Bool, status: String, detail: [String: String] = [:]) {
        self.ready = ready
        self.status = status
        self.detail = detail
    }
}

/// Settings of the HTTP front end.
public struct ServingConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The name served in `/v1/models` and accepted in `model`.
    public var modelName: String
    /// Largest request body accepted (413 past it).
    public var maxBodyBytes: Int
    /// When set, `/v1/*` requires `Authorization: Bearer <apiKey>`.
    public var apiKey: String?

    public init(host: String = "127.0.0.1", port: Int = 8000, modelName: String, maxBodyBytes: Int = 8 << 20, apiKey: String? = nil) {
        self.host = host
        self.port = port
        self.modelName = modelName
        self.maxBodyBytes = maxBodyBytes
        self.apiKey = apiKey
    }
}

/// Everything the HTTP handlers need, shared by all requests.
public struct ServingContext: Sendable {
    public var configuration: ServingConfiguration
    public var service: EngineService
    public var tokenizer: (any ServingTokenizer)?
    /// The model's chat templates; nil when it has none (`/v1/chat/completions` then answers 400).
    public var chatTemplates: ChatTemplateSet?
    /// The worker side when experts run remotely (`switchyard router`); nil in `serve`.
    public var cluster: (any ClusterControl)?

    public init(configuration: ServingConfiguration, service: EngineService, tokenizer: (any ServingTokenizer)? = nil,
                cluster: (any ClusterControl)? = nil, chatTemplates: ChatTemplateSet? = nil) {
        self.configuration = configuration
        self.service = service
        self.tokenizer = tokenizer
        self.cluster = cluster
        self.chatTemplates = chatTemplates
    }

    /// Readiness beyond the engine's own: with a cluster, every expert must have a holder.
    public func health() -> HealthReport {
        cluster?.health() ?? HealthReport(ready: true, status: "ok")
    }
}

/// Builds the OpenAI-compatible HTTP server around an `EngineService`.
///
/// The engine service runs inside the application's service group, so a graceful shutdown
/// (SIGTERM) first stops the HTTP listener and lets in-flight requests finish, then drains the engine.
public enum ServingApplication {
    public static func build(
        _ context: ServingContext,
        logger: Logger = Logger(label: "switchyard.http"),
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router(context: ServingRequestContext.self)
        router.add(middleware: OpenAIErrorMiddleware(metrics: context.service.metrics, apiKey: context.configuration.apiKey))
        let completions = CompletionsEndpoint(context: context)

        router.post("/v1/completions") { request, requestContext in
            try await completions.handle(request, context: requestContext)
        }
        let chat = ChatCompletionsEndpoint(context: context)
        router.post("/v1/chat/completions") { request, requestContext in
            try await chat.handle(request, context: requestContext)
        }
        router.get("/v1/models") { _, _ in
            let config = context.service.engine.config
            let list = ModelList(data: [.init(id: context.configuration.modelName, created: Self.startTime,
                                              maxModelLen: config.maxPositionEmbeddings)])
            return try JSONResponse.make(list)
        }
        router.get("/health") { _, _ in
            try Self.health(context)
        }
        router.get("/v1/cluster") { _, _ in
            guard let cluster = context.cluster else {
                throw OpenAIError(status: .notFound, message: "This server runs every expert in-process: there is no cluster.",
                                  type: "invalid_request_error", code: "not_found")
            }
            return try JSONResponse.make(cluster.status())
        }
        router.post("/v1/cluster/workers/:id/drain") { _, requestContext in
            try ClusterDrainEndpoint.handle(context.cluster, workerID: requestContext.parameters.get("id"))
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: context.service.metrics.registry.render())))
        }

        return Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [ConnectionCloseWatcher()])),
            configuration: .init(address: .hostname(context.configuration.host, port: context.configuration.port),
                                 serverName: "switchyard"),
            // Shut down in reverse order: HTTP first, then the engine, then the worker link.
            services: (context.cluster.map { [$0 as any Service] } ?? []) + [context.service],
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    package static let startTime = Int(Date().timeIntervalSince1970)

    package static func health(_ context: ServingContext) throws -> Response {
        var report = context.health()
        switch context.service.phase {
        case .accepting: break
        case .draining: report = HealthReport(ready: false, status: "draining", detail: report.detail)
        case .stopped: report = HealthReport(ready: false, status: "stopped", detail: report.detail)
        }
        struct Body: Encodable { var status: String; var detail: [String: String] }
        var response = try JSONResponse.make(Body(status: report.status, detail: report.detail))
        response.status = report.ready ? .ok : .serviceUnavailable
        return response
    }
}

/// JSON response helpers.
package enum JSONResponse {
    package static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }()

    package static func bytes(_ value: some Encodable) throws -> ByteBuffer {
        ByteBuffer(data: try encoder.encode(value))
    }

    package static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: try bytes(value)))
    }

    package static func error(_ error: OpenAIError) -> Response {
        let buffer = (try? bytes(error.body)) ?? ByteBuffer(string: "{\"error\":{\"message\":\"internal error\"}}")
        return Response(status: error.status, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
    }
}

/// Answers every error in OpenAI's JSON shape, enforces the API key on `/v1/*`, and counts requests.
package struct OpenAIErrorMiddleware: RouterMiddleware {
    package typealias Context = ServingRequestContext
    package let metrics: ServingMetrics
    package let apiKey: String?

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let route = request.uri.path.hasPrefix("/v1/") || ["/health", "/metrics"].contains(request.uri.path) ? request.uri.path : "other"
        let response: Response
        if let apiKey, request.uri.path.hasPrefix("/v1/"), !Self.authorized(request, apiKey: apiKey) {
            response = JSONResponse.error(.unauthorized())
        } else {
            do {
                response = try await next(request, context)
            } catch let error as OpenAIError {
                response = JSONResponse.error(error)
            } catch let error as HTTPError {
                switch error.status {
                case .notFound:
                    response = JSONResponse.error(.routeNotFound(request.method.rawValue, request.uri.path))
                case .methodNotAllowed:
                    response = JSONResponse.error(OpenAIError(status: .methodNotAllowed, message: "Method \(request.method.rawValue) is not allowed on \(request.uri.path).", type: "invalid_request_error"))
                case .contentTooLarge:
                    response = JSONResponse.error(OpenAIError(status: .contentTooLarge, message: "The request body is too large.", type: "invalid_request_error"))
                default:
                    response = JSONResponse.error(OpenAIError(status: error.status, message: error.body ?? error.status.reasonPhrase, type: "invalid_request_error"))
                }
            } catch {
                response = JSONResponse.error(.internalError("\(error)"))
            }
        }
        metrics.httpRequest(route: route, status: response.status.code)
        return response
    }

    /// Constant-time comparison of the bearer token with the key.
    package static func authorized(_ request: Request, apiKey: String) -> Bool {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return false }
        let given = Array(header.dropFirst("Bearer ".count).utf8)
        let expected = Array(apiKey.utf8)
        guard given.count == expected.count else { return false }
        var difference: UInt8 = 0
        for index in given.indices { difference |= given[index] ^ expected[index] }
        return difference == 0
    }
}
