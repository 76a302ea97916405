import ArgumentParser
import Foundation
import SwitchyardServing
import SwitchyardCluster
#if canImport(Glibc)
import Glibc
#endif

/// `switchyard status`: the router's `GET /v1/cluster` as a table (or its JSON).
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a router's workers, their experts, load and liveness, and whether it serves."
    )

    @Option(help: "The router's HTTP base URL, e.g. http://10.0.0.1:8000.")
    var url: String

    @Flag(help: "Print the JSON of GET /v1/cluster instead of the table.")
    var json = false

    @Option(name: .customLong("api-key"), help: "API key when the router requires one (default: $SWITCHYARD_API_KEY).")
    var apiKey: String?

    @Option(help: "Seconds to wait for the router.")
    var timeout: Double = 5

    func validate() throws {
        guard timeout > 0, timeout <= 600 else { throw ValidationError("--timeout must be between 0 and 600 seconds") }
        _ = try endpoint()
    }

    /// Host, port and path prefix of `--url`.
    func endpoint() throws -> (host: String, port: Int, prefix: String) {
        guard let components = URLComponents(string: url), components.scheme?.lowercased() == "http",
              let host = components.host, !host.isEmpty else {
            throw ValidationError("--url must look like http://HOST:PORT, got \(url)")
        }
        var prefix = components.percentEncodedPath
        while prefix.hasSuffix("/") { prefix.removeLast() }
        if prefix.hasSuffix("/v1") { prefix.removeLast(3) }
        return (host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host, components.port ?? 80, prefix)
    }

    func run() throws {
        let (host, port, prefix) = try endpoint()
        let key = apiKey ?? ProcessInfo.processInfo.environment["SWITCHYARD_API_KEY"]
        let response: PlainHTTPGet.Response
        do {
            response = try PlainHTTPGet(host: host, port: port, timeout: timeout)
                .get(prefix + "/v1/cluster", headers: key.map { ["Authorization": "Bearer \($0)"] } ?? [:])
        } catch {
            printError("status: cannot reach the router at \(url): \(error)")
            throw ExitCode(2)
        }
        guard response.status == 200 else {
            let message = (try? JSONSerialization.jsonObject(with: response.body) as? [String: Any])
                .flatMap { ($0["error"] as? [String: Any])?["message"] as? String } ?? String(decoding: response.body.prefix(300), as: UTF8.self)
            printError("status: the router answered \(response.status): \(message)")
            throw ExitCode(1)
        }
        if json {
            print(String(decoding: response.body, as: UTF8.self))
            return
        }
        let status: ClusterStatus
        do {
            status = try JSONDecoder().decode(ClusterStatus.self, from: response.body)
        } catch {
            printError("status: \(url)/v1/cluster did not answer a Switchyard cluster status: \(error)")
            throw ExitCode(1)
        }
        print(ClusterStatusTable.render(status))
    }
}
