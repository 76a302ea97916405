import HTTPTypes

/// An error answered in OpenAI's JSON shape:
/// `{"error": {"message": ..., "type": ..., "param": ..., "code": ...}}` with a matching HTTP status.
public struct OpenAIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?

    public init(status: HTTPResponse.Status, message: String, type: String, param: String? = nil, code: String? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    public var description: String { "\(status.code) \(type): \(message)" }

    /// 400: the request is malformed or has an invalid value.
    public static func invalid(_ message: String, param: String? = nil) -> OpenAIError {
        OpenAIError(status: .badRequest, message: message, type: "invalid_request_error", param: param)
    }

    /// 404: unknown model.
    public static func modelNotFound(_ model: String) -> OpenAIError {
        OpenAIError(status: .notFound, message: "The model `\(model)` does not exist.",
                    type: "invalid_request_error", param: "model", code: "model_not_found")
    }

    /// 404: unknown route.
    public static func routeNotFound(_ method: String, _ path: String) -> OpenAIError {
        OpenAIError(status: .notFound, message: "Unknown route: \(method) \(path)", type: "invalid_request_error",
                    code: "not_found")
    }

    /// 413: the prompt alone is too long for the model or the KV cache.
    public static func promptTooLong(_ message: String) -> OpenAIError {
        OpenAIError(status: .contentTooLarge, message: message, type: "invalid_request_error", param: "prompt",
                    code: "context_length_exceeded")
    }

    /// 429: the waiting queue is full.
    public static func overloaded(_ message: String) -> OpenAIError {
        OpenAIError(status: .tooManyRequests, message: message, type: "server_overloaded", code: "queue_full")
    }

    /// 503: the server cannot serve right now (starting, draining, experts missing).
    public static func unavailable(_ message: String) -> OpenAIError {
        OpenAIError(status: .serviceUnavailable, message: message, type: "service_unavailable")
    }

    /// 500: an internal failure while generating.
    public static func internalError(_ message: String) -> OpenAIError {
        OpenAIError(status: .internalServerError, message: message, type: "internal_error")
    }

    /// 401: missing or wrong API key.
    public static func unauthorized() -> OpenAIError {
        OpenAIError(status: .unauthorized, message: "Incorrect or missing API key: send `Authorization: Bearer KEY`.",
                    type: "invalid_request_error", code: "invalid_api_key")
    }

    struct Body: Encodable {
        struct Detail: Encodable {
            var message: String
            var type: String
            var param: String?
            var code: String?

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(message, forKey: .message)
                try container.encode(type, forKey: .type)
                try container.encode(param, forKey: .param)
                try container.encode(code, forKey: .code)
            }

            enum CodingKeys: String, CodingKey { case message, type, param, code }
        }
        var error: Detail
    }

    var body: Body { Body(error: .init(message: message, type: type, param: param, code: code)) }
}
