import Foundation
import Testing
import TestSupport
@testable import SwitchyardServing
#if canImport(Glibc)
import Glibc
#endif

/// A raw TCP client for what a well-behaved HTTP client never sends. Every read is bounded.
final class RawConnection {
    private let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestHTTPError("connect failed") }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return }
            offset += sent
        }
    }

    /// Everything the server sends until it closes the connection or `limit` passes.
    /// Returns the text and whether the server closed.
    func readUntilClosed(limit: Duration) -> (text: String, closed: Bool) {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { return (String(decoding: bytes, as: UTF8.self), true) }
            if count > 0 { bytes += buffer[0 ..< count] } else if errno != EAGAIN && errno != EWOULDBLOCK {
                return (String(decoding: bytes, as: UTF8.self), true)
            }
        }
        return (String(decoding: bytes, as: UTF8.self), false)
    }
}

/// Issue 21 (4): the HTTP edges: timeouts, header caps, HTTP/1.0, parser errors in OpenAI's shape.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct HTTPEdgeTests {
    static let fast = HTTPEdgeLimits(headerTimeout: .milliseconds(500), bodyTimeout: .milliseconds(500), idleTimeout: .seconds(1),
                                     maxHeaderBytes: 8 << 10, maxHeaderCount: 50)

    func exchange(_ harness: ServingHarness, _ request: String, limit: Duration = .seconds(5)) async throws -> (text: String, closed: Bool) {
        let port = try harness.socketClient().port
        return try await offPool {
            let connection = try RawConnection(port: port)
            connection.send(request)
            return connection.readUntilClosed(limit: limit)
        }
    }

    func expectOpenAIError(_ text: String, status: String, containing: String) {
        #expect(text.hasPrefix("HTTP/1.1 \(status)") || text.hasPrefix("HTTP/1.0 \(status)"), "\(text.prefix(200))")
        #expect(text.contains("\"error\"") && text.contains("\"message\""), "\(text)")
        #expect(text.contains(containing), "\(text)")
    }

    @Test func slowHeadersSlowBodiesAndIdleConnectionsAreClosed() async throws {
        let harness = try await ServingHarness.start(edges: Self.fast, socket: true)
        defer { Task { await harness.stop() } }
        let slowHeader = try await exchange(harness, "GET /health HTTP/1.1\r\nHost: x\r\n", limit: .seconds(5))
        #expect(slowHeader.closed)
        expectOpenAIError(slowHeader.text, status: "408", containing: "request head did not arrive")
        let slowBody = try await exchange(harness, "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"pro",
                                          limit: .seconds(5))
        #expect(slowBody.closed)
        expectOpenAIError(slowBody.text, status: "408", containing: "request body did not arrive")
        let silent = try await exchange(harness, "", limit: .seconds(5))
        #expect(silent.closed && silent.text.isEmpty)
    }

    @Test func aHugeDeclaredBodyIsRefusedAtOnce() async throws {
        let harness = try await ServingHarness.start(edges: Self.fast, socket: true)
        defer { Task { await harness.stop() } }
        let started = ContinuousClock.now
        let answer = try await exchange(harness, "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000000\r\n\r\n")
        #expect(ContinuousClock.now - started < .milliseconds(450))
        expectOpenAIError(answer.text, status: "413", containing: "larger than the limit")
    }

    @Test func headerFloodsGet431AndParserErrorsAHumanBody() async throws {
        let harness = try await ServingHarness.start(edges: Self.fast, socket: true)
        defer { Task { await harness.stop() } }
        let many = (0 ..< 200).map { "X-Flood-\($0): y\r\n" }.joined()
        expectOpenAIError(try await exchange(harness, "GET /health HTTP/1.1\r\nHost: x\r\n\(many)\r\n").text, status: "431", containing: "too large")
        let huge = "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 20000))\r\n\r\n"
        expectOpenAIError(try await exchange(harness, huge).text, status: "431", containing: "too large")
        expectOpenAIError(try await exchange(harness, "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n").text,
                          status: "400", containing: "Content-Length")
        expectOpenAIError(try await exchange(harness, "F@O /health HTTP/1.1\r\nHost: x\r\n\r\n").text, status: "400", containing: "method")
    }

    @Test func http10IsAnsweredAs10AndClosed() async throws {
        let harness = try await ServingHarness.start(edges: Self.fast, socket: true)
        defer { Task { await harness.stop() } }
        let answer = try await exchange(harness, "GET /health HTTP/1.0\r\n\r\n", limit: .seconds(5))
        #expect(answer.text.hasPrefix("HTTP/1.0 200"), "\(answer.text.prefix(200))")
        #expect(answer.closed)
        #expect(!answer.text.lowercased().contains("transfer-encoding: chunked"))
        let stream = try await exchange(harness, """
            POST /v1/completions HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: 61\r\n\r\n\
            {"prompt":[1,2],"max_tokens":3,"stream":true,"temperature":0}
            """, limit: .seconds(20))
        #expect(stream.text.hasPrefix("HTTP/1.0 200"), "\(stream.text.prefix(300))")
        #expect(!stream.text.lowercased().contains("transfer-encoding: chunked") && stream.text.contains("[DONE]") && stream.closed)
    }
}
