import Foundation
import NIOCore
import NIOPosix
import Testing
@testable import SwitchyardBench

@Suite("Failures are counted by kind and the run finishes", .timeLimit(.minutes(1)))
struct ErrorHandlingTests {
    /// A port on 127.0.0.1 with nothing listening: bound once by the OS, then released.
    static func closedPort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }

    static func run(_ config: BenchConfiguration) async throws -> BenchRunResult {
        let runner = BenchRunner(client: BenchHTTPClient(url: config.url))
        return await runner.run(configuration: config, model: "m", prompts: try BenchRunner.prompts(for: config))
    }

    @Test("nothing listening: every request is a connect failure and the model lookup fails clearly")
    func nothingListening() async throws {
        let port = try await Self.closedPort()
        let config = EndToEndTests.config(port: port) { $0.numPrompts = 10 }
        let started = ContinuousClock.now
        let result = try await Self.run(config)
        #expect(result.summary.completed == 0)
        #expect(result.summary.failuresByKind == [.connect: 10])
        #expect(result.records.allSatisfy { $0.failure?.message.contains("refused") == true })
        #expect(ContinuousClock.now - started < .seconds(5))
        let summary = SummaryTable.render(result)
        #expect(summary.contains("connect:") && summary.contains("First errors:"))
        await #expect(throws: HTTPClientError.self) {
            _ = try await ModelLookup(client: BenchHTTPClient(url: config.url)).firstModel(timeouts: HTTPTimeouts(connect: 1, read: 1, total: 1))
        }
        // The model lookup retries a failed connection, a bounded number of times, then gives up.
        let lookupStarted = ContinuousClock.now
        await #expect(throws: HTTPClientError.self) {
            _ = try await BenchRunner(client: BenchHTTPClient(url: config.url))
                .resolveModel(nil, timeouts: HTTPTimeouts(connect: 1, read: 1, total: 1), attempts: 3, pause: .milliseconds(200))
        }
        let lookupTime = ContinuousClock.now - lookupStarted
        #expect(lookupTime >= .milliseconds(400) && lookupTime < .seconds(5), "\(lookupTime)")
    }

    @Test("HTTP 500 answers are counted with their status and message")
    func serverErrors() async throws {
        try await FakeOpenAIServer.with(.status(500)) { port, _ in
            let result = try await Self.run(EndToEndTests.config(port: port) { $0.numPrompts = 8 })
            #expect(result.summary.completed == 0)
            #expect(result.summary.failuresByKind == [.httpStatus: 8])
            #expect(result.records.allSatisfy { $0.failure?.status == 500 && $0.failure?.message.contains("fake failure") == true })
            let json = ResultDocument.make(result)
            #expect(json["failed"] == .int(8))
            #expect(json["failures_by_kind"]?["http_status"] == .int(8))
        }
    }

    @Test("non-JSON events and truncated streams are malformed streams", arguments: [FakeBehavior.malformed, .truncated])
    func malformedStreams(behavior: FakeBehavior) async throws {
        try await FakeOpenAIServer.with(behavior) { port, _ in
            let result = try await Self.run(EndToEndTests.config(port: port) { $0.numPrompts = 4 })
            #expect(result.summary.failuresByKind == [.malformedStream: 4])
        }
    }

    @Test("a server that never answers trips the request timeout")
    func requestTimeout() async throws {
        // The server holds far longer than the timeout, so "timed out" and "waited for the server"
        // stay apart even when a loaded machine delays the run by a second or two.
        try await FakeOpenAIServer.with(.hang(hold: .seconds(5))) { port, _ in
            let started = ContinuousClock.now
            let result = try await Self.run(EndToEndTests.config(port: port) { $0.numPrompts = 3; $0.requestTimeout = 0.3 })
            #expect(result.summary.failuresByKind == [.timeout: 3])
            #expect(ContinuousClock.now - started < .seconds(3.5))
        }
    }

    @Test("no byte within the read timeout is a timeout too")
    func readTimeout() async throws {
        try await FakeOpenAIServer.with(.hang(hold: .seconds(2))) { port, _ in
            let result = try await Self.run(EndToEndTests.config(port: port) { $0.numPrompts = 2; $0.readTimeout = 0.3 })
            #expect(result.summary.failuresByKind == [.timeout: 2])
            #expect(result.records.allSatisfy { $0.failure?.message.contains("no data") == true })
        }
    }

    @Test("the overall time limit aborts what is in flight and what was never sent")
    func runTimeLimit() async throws {
        // The server holds each request for 10 s; the run must end at its 0.4 s limit, long before
        // (the bound leaves room for a loaded machine, and is still far below the hold).
        try await FakeOpenAIServer.with(.hang(hold: .seconds(10))) { port, _ in
            let started = ContinuousClock.now
            let result = try await Self.run(EndToEndTests.config(port: port) {
                $0.numPrompts = 6; $0.requestRate = 2; $0.maxConcurrency = nil; $0.maxDuration = 0.4
            })
            #expect(result.summary.completed == 0)
            #expect(result.summary.failuresByKind == [.aborted: 6])
            #expect(result.records.filter { $0.sentAt == nil }.count >= 4)
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }
}
