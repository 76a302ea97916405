import Hummingbird

/// Reading a request's body for the JSON endpoints: the bytes, or 413 in OpenAI's shape when the
/// body is larger than the server accepts.
enum RequestBody {
    static func collect(_ request: Request, limit: Int) async throws -> [UInt8] {
        var request = request
        do {
            return Array(try await request.collectBody(upTo: limit).readableBytesView)
        } catch {
            throw OpenAIError(status: .contentTooLarge, message: "The request body is larger than \(limit) bytes.",
                              type: "invalid_request_error")
        }
    }
}
