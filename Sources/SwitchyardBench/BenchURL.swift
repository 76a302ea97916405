import Foundation

/// The server to test: an `http://HOST[:PORT][/PREFIX]` base URL.
///
/// Requests go to `PREFIX + /v1/completions` and `PREFIX + /v1/models`; a URL that already ends in
/// `/v1` is accepted too (`http://host:8000/v1`), as OpenAI clients take it.
public struct BenchURL: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int
    /// Path prefix without a trailing slash and without `/v1` ("" for most servers).
    public let prefix: String

    /// Parses and checks the URL; throws `BenchInputError` saying what is wrong.
    public init(parsing text: String) throws {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw BenchInputError("--url '\(text)' is not a URL; expected http://HOST:PORT")
        }
        if scheme == "https" {
            throw BenchInputError("--url '\(text)': https is not supported by the bench client; use http://")
        }
        guard scheme == "http" else {
            throw BenchInputError("--url '\(text)': scheme must be http")
        }
        guard let host = components.host, !host.isEmpty else {
            throw BenchInputError("--url '\(text)' has no host")
        }
        if components.query != nil || components.fragment != nil {
            throw BenchInputError("--url '\(text)' must not have a query or fragment")
        }
        let port = components.port ?? 80
        guard (1...65535).contains(port) else { throw BenchInputError("--url '\(text)': port out of range") }
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        if path.hasSuffix("/v1") { path.removeLast(3) }
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = port
        self.prefix = path
    }

    /// The path of an API route, e.g. `path("/v1/completions")`.
    public func path(_ route: String) -> String { prefix + route }

    /// The value for the `Host` header.
    public var hostHeader: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port == 80 ? h : "\(h):\(port)"
    }

    public var description: String { "http://\(hostHeader)\(prefix)" }
}
