import Testing
@testable import SwitchyardZMQ

@Suite("ZMQPingPong")
struct PingPongTests {
    @Test("measures a positive round trip over tcp loopback", arguments: [0, 4096])
    func measures(bytes: Int) throws {
        let result = try ZMQPingPong.measureDetailed(bytes: bytes, iterations: 200, warmup: 20)
        #expect(result.iterations == 200)
        #expect(result.minMicroseconds > 0)
        #expect(result.minMicroseconds <= result.medianMicroseconds)
        #expect(result.medianMicroseconds <= result.p99Microseconds)
        #expect(result.meanMicroseconds < 1_000_000)
    }

    @Test("the last echo is not lost when the echo thread closes its socket (regression)")
    func lastEchoDelivered() throws {
        // Closing with LINGER 0 used to drop the final reply while it was still queued.
        // A lost echo makes the dealer's receive time out, which throws; a delivered one is measured.
        for round in 0..<30 {
            let result = try ZMQPingPong.measureDetailed(bytes: 65536, iterations: 1, warmup: 0)
            #expect(result.bytes == 65536 && result.minMicroseconds > 0, "round \(round): \(result)")
        }
    }

    @Test("with a pause, each round trip starts after the pause and the pause is not timed")
    func pausedRoundTrips() throws {
        let clock = ContinuousClock()
        let started = clock.now
        let result = try ZMQPingPong.measureDetailed(bytes: 4096, iterations: 10, warmup: 2, pause: .milliseconds(5))
        #expect(clock.now - started >= .milliseconds(60), "12 round trips after 5 ms pauses each")
        #expect(result.iterations == 10 && result.minMicroseconds > 0)
        #expect(result.medianMicroseconds < 5_000, "the pause is outside the timed round trip")
    }

    @Test("rejects nonsense arguments")
    func rejects() {
        #expect(throws: ZMQError.invalidArgument) { _ = try ZMQPingPong.measure(bytes: -1, iterations: 10) }
        #expect(throws: ZMQError.invalidArgument) { _ = try ZMQPingPong.measure(bytes: 8, iterations: 0) }
    }
}
