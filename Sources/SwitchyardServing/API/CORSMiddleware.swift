import Hummingbird

/// Cross-origin access for browser clients (`--cors-origin`): answers `OPTIONS` preflights with the
/// allowed methods and headers, and adds `Access-Control-Allow-Origin` to every response.
struct CORSMiddleware: RouterMiddleware {
    typealias Context = ServingRequestContext
    /// The allowed origin, or `*`.
    let origin: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers = HTTPFields()
            addOrigin(&headers)
            headers[.accessControlAllowMethods] = "GET, POST, HEAD, OPTIONS"
            headers[.accessControlAllowHeaders] = request.headers[.accessControlRequestHeaders] ?? "Authorization, Content-Type"
            headers[.accessControlMaxAge] = "86400"
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        addOrigin(&response.headers)
        return response
    }

    private func addOrigin(_ headers: inout HTTPFields) {
        headers[.accessControlAllowOrigin] = origin
        if origin != "*" { headers[.vary] = "Origin" }
    }
}
