import Foundation

/// Asks an OpenAI-compatible server which models it serves (`GET /v1/models`).
public struct ModelLookup: Sendable {
    public let client: BenchHTTPClient

    public init(client: BenchHTTPClient) { self.client = client }

    private struct ModelList: Decodable {
        struct Model: Decodable { var id: String }
        var data: [Model]
    }

    /// The id of the first model listed; throws `HTTPClientError` or `BenchInputError` saying why not.
    public func firstModel(timeouts: HTTPTimeouts) async throws -> String {
        var status = 0
        var body: [UInt8] = []
        try await client.execute(HTTPRequestSpec(method: .GET, path: client.url.path("/v1/models")), timeouts: timeouts) { event in
            switch event {
            case .head(let code, _): status = code
            case .body(let buffer, _):
                guard body.count + buffer.readableBytes <= 1 << 20 else {
                    throw BenchInputError("GET /v1/models answered more than 1 MiB")
                }
                body.append(contentsOf: buffer.readableBytesView)
            case .end: break
            }
        }
        guard status == 200 else {
            throw BenchInputError("GET /v1/models answered HTTP \(status)")
        }
        guard let list = try? JSONDecoder().decode(ModelList.self, from: Data(body)) else {
            throw BenchInputError("GET /v1/models did not answer an OpenAI model list")
        }
        guard let first = list.data.first else { throw BenchInputError("GET /v1/models lists no model") }
        return first.id
    }
}
