import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 client over a blocking TCP socket to 127.0.0.1, for API tests: it sends one
/// request with `Connection: close` and reads the answer, decoding chunked bodies. Streams can be
/// read event by event and abandoned mid-way (to test client disconnects).
public final class TestHTTPClient: @unchecked Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: [UInt8]
        public init(status: Int, headers: [String: String], body: [UInt8]) {
            self.status = status
            self.headers = headers
            self.body = body
        }
        public var text: String { String(decoding: body, as: UTF8.self) }
        public func json() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
                throw TestHTTPError("body is not a JSON object: \(text)")
            }
            return object
        }
        /// The `data:` payloads of a server-sent-event body.
        public var events: [String] {
            text.components(separatedBy: "\n\n").compactMap { block in
                block.hasPrefix("data: ") ? String(block.dropFirst(6)) : nil
            }
        }
    }

    public let port: Int
    public init(port: Int) { self.port = port }

    public func get(_ path: String, headers: [String: String] = [:]) throws -> Response {
        try send("GET", path, body: nil, headers: headers)
    }

    public func post(_ path: String, json: String, headers: [String: String] = [:]) throws -> Response {
        try send("POST", path, body: Array(json.utf8), headers: headers)
    }

    public func post(_ path: String, object: [String: Any], headers: [String: String] = [:]) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object)
        return try send("POST", path, body: Array(data), headers: headers)
    }

    public func send(_ method: String, _ path: String, body: [UInt8]?, headers: [String: String]) throws -> Response {
        let connection = try Connection(port: port)
        defer { connection.close() }
        try connection.write(request(method, path, body: body, headers: headers))
        var raw: [UInt8] = []
        while let chunk = try connection.read() { raw += chunk }
        return try Self.parse(raw)
    }

    /// Sends a request and returns the open connection without reading, so a test can read a bit
    /// of a stream and then hang up.
    public func open(_ method: String, _ path: String, json: String) throws -> Connection {
        let connection = try Connection(port: port)
        try connection.write(request(method, path, body: Array(json.utf8), headers: [:]))
        return connection
    }

    func request(_ method: String, _ path: String, body: [UInt8]?, headers: [String: String]) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + (body ?? [])
    }

    static func parse(_ raw: [UInt8]) throws -> Response {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let split = raw.firstRange(of: separator) else { throw TestHTTPError("no header end in \(raw.count) bytes") }
        let head = String(decoding: raw[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw TestHTTPError("bad status line \(head[0])") }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(raw[split.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = try dechunk(body) }
        return Response(status: status, headers: headers, body: body)
    }

    static func dechunk(_ data: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < data.count {
            guard let lineEnd = data[index...].firstRange(of: [13, 10]) else { break }
            let sizeText = String(decoding: data[index ..< lineEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";")[0], radix: 16) else { throw TestHTTPError("bad chunk size \(sizeText)") }
            if size == 0 { break }
            let start = lineEnd.upperBound
            out += data[start ..< min(start + size, data.count)]
            index = start + size + 2
        }
        return out
    }

    /// One TCP connection with blocking reads bounded by a receive timeout.
    public final class Connection: @unchecked Sendable {
        let fd: Int32

        /// Connects, retrying when a signal interrupts `connect` (EINTR).
        public convenience init(port: Int, timeoutSeconds: Int = 60) throws {
            var attempts = 0
            while true {
                do {
                    try self.init(port: port, timeoutSeconds: timeoutSeconds, once: ())
                    return
                } catch let error as TestHTTPError where error.retryable && attempts < 20 {
                    attempts += 1
                }
            }
        }

        private init(port: Int, timeoutSeconds: Int, once: Void) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw TestHTTPError("socket failed") }
            var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard result == 0 else {
                let code = errno
                Glibc.close(fd)
                throw TestHTTPError("connect to port \(port) failed (errno \(code))", retryable: code == EINTR)
            }
        }

        public func write(_ bytes: [UInt8]) throws {
            var sent = 0
            while sent < bytes.count {
                let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw TestHTTPError("send failed") }
                sent += n
            }
        }

        /// Next bytes, or nil at end of stream. Throws on timeout.
        public func read() throws -> [UInt8]? {
            var buffer = [UInt8](repeating: 0, count: 65536)
            var n = buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
            while n < 0 && errno == EINTR {
                n = buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
            }
            if n == 0 { return nil }
            guard n > 0 else { throw TestHTTPError("read failed or timed out (errno \(errno))") }
            return Array(buffer[..<n])
        }

        /// Reads until `marker` has arrived; returns everything read so far.
        public func read(until marker: String) throws -> String {
            var text = ""
            while !text.contains(marker) {
                guard let chunk = try read() else { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            return text
        }

        public func close() { Glibc.close(fd) }
    }
}

public struct TestHTTPError: Error, CustomStringConvertible {
    public var description: String
    public var retryable = false
    public init(_ description: String, retryable: Bool = false) {
        self.description = description
        self.retryable = retryable
    }
}

/// Runs blocking work (socket reads) on a fresh thread, so it never occupies one of the few
/// threads of Swift's cooperative pool that the server under test needs.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
        thread.start()
    }
}
