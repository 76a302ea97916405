import Foundation
import Synchronization
import Testing
@testable import SwitchyardBench

/// A raw TCP server on 127.0.0.1 that closes its first `drops` connections without a byte, then
/// answers each request with `answer` (a JSON body) and closes. Counts the connections it accepted.
final class DroppingServer: Sendable {
    let port: Int
    private let listener: Int32
    private let accepted = AcceptCount()

    final class AcceptCount: Sendable {
        let value = Atomic<Int>(0)
    }

    init(drops: Int, answer: String) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        let count = accepted
        Thread.detachNewThread {
            while true {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else { return }  // the listener was closed
                let n = count.value.wrappingAdd(1, ordering: .relaxed).newValue
                if n > drops {
                    var request: [UInt8] = []
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    // Headers, then a body of Content-Length bytes.
                    while true {
                        let got = read(connection, &buffer, buffer.count)
                        if got <= 0 { break }
                        request += buffer[0..<got]
                        let text = String(decoding: request, as: UTF8.self)
                        if let end = text.range(of: "\r\n\r\n") {
                            let lengthLine = text[..<end.lowerBound].split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                            let bodyLength = lengthLine.flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                            if text.utf8.count - text.utf8.distance(from: text.startIndex, to: end.upperBound) >= bodyLength { break }
                        }
                    }
                    let response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(answer.utf8.count)\r\nConnection: close\r\n\r\n\(answer)"
                    _ = response.withCString { write(connection, $0, strlen($0)) }
                }
                close(connection)
            }
        }
    }

    var connections: Int { accepted.value.load(ordering: .relaxed) }

    func stop() { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }
}

/// Preparing text prompts only reads the server's tokenizer: a connection the server drops before
/// answering is tried again, a few times, instead of ending the run before it starts.
@Suite struct DroppedPreparationRequestTests {
    /// Generous limits: the whole test suite runs in parallel on two cores, and a timeout here
    /// (which is not retried) would hide what these tests check. CI once hit a 10 s total.
    let timeouts = HTTPTimeouts(connect: 60, read: 60, total: 120)

    @Test func aDroppedConnectionIsTriedAgain() async throws {
        let server = try DroppingServer(drops: 1, answer: #"{"prompt": "t1 t2"}"#)
        defer { server.stop() }
        let client = BenchHTTPClient(url: try BenchURL(parsing: "http://127.0.0.1:\(server.port)"))
        #expect(try await ServerVocabulary.detokenize([1, 2], client: client, timeouts: timeouts) == "t1 t2")
        // Tried again after the drop; under a full test run's load CI once saw the answered
        // connection itself reported lost and a third try answer, which the limit still bounds.
        #expect((2...ServerVocabulary.fetchAttempts).contains(server.connections), "\(server.connections) connections")
    }

    @Test func aServerThatKeepsDroppingIsAnErrorAfterThreeTries() async throws {
        let server = try DroppingServer(drops: 100, answer: "{}")
        defer { server.stop() }
        let client = BenchHTTPClient(url: try BenchURL(parsing: "http://127.0.0.1:\(server.port)"))
        await #expect(throws: HTTPClientError.self) {
            _ = try await ServerVocabulary.detokenize([1, 2], client: client, timeouts: timeouts)
        }
        #expect(server.connections == ServerVocabulary.fetchAttempts)
    }
}
