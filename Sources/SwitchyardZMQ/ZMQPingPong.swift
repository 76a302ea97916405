#if canImport(Glibc)
import Glibc
#endif
/// A ROUTER/DEALER round-trip micro-benchmark over TCP loopback: the floor that a router→worker
/// dispatch round trip is compared against.
///
/// A DEALER on the calling thread sends a `bytes`-sized frame; an echo thread with a ROUTER sends it
/// straight back; the DEALER waits for it. Both sockets block (with 5 s timeouts, so a broken setup
/// throws `ZMQError.again` instead of hanging).
public enum ZMQPingPong {
    /// Round-trip latency figures in microseconds.
    public struct Result: Sendable, Hashable, CustomStringConvertible {
        public let bytes: Int
        public let iterations: Int
        public let meanMicroseconds: Double
        public let medianMicroseconds: Double
        public let p99Microseconds: Double
        public let minMicroseconds: Double

        public var description: String {
            func f(_ x: Double) -> String { "\((x * 10).rounded() / 10)" }
            return "ping-pong \(bytes) B x \(iterations): mean \(f(meanMicroseconds)) µs, median \(f(medianMicroseconds)) µs, p99 \(f(p99Microseconds)) µs, min \(f(minMicroseconds)) µs"
        }
    }

    /// The mean round trip in microseconds for `iterations` messages of `bytes` bytes.
    public static func measure(bytes: Int, iterations: Int) throws(ZMQError) -> Double {
        try measureDetailed(bytes: bytes, iterations: iterations).meanMicroseconds
    }

    /// Mean, median, p99 and minimum round trip for `iterations` messages of `bytes` bytes, after
    /// `warmup` untimed round trips. With a `pause`, both sides sit idle that long before each
    /// round trip (as a router and its workers do while the other side computes), so the figure
    /// includes waking threads, and cores, that have gone to sleep.
    public static func measureDetailed(bytes: Int, iterations: Int, warmup: Int = 100, pause: Duration = .zero) throws(ZMQError) -> Result {
        guard bytes >= 0, iterations > 0, warmup >= 0 else {
            throw ZMQError(code: ZMQError.invalidArgument.code, operation: "ZMQPingPong(bytes: \(bytes), iterations: \(iterations))")
        }
        let context = try Context()
        let router = try Socket(context, type: .router)
        try router.set(.receiveTimeout, 5000)
        // The last echo may still be queued when the echo thread closes its socket: let it out.
        try router.set(.linger, 2000)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint
        let dealer = try Socket(context, type: .dealer)
        try dealer.set(.receiveTimeout, 5000)
        try dealer.connect(endpoint)

        let total = warmup + iterations
        let transfer = SocketTransfer(socket: router)
        let echo = try OSThread(name: "zmq-pingpong") {
            let router = transfer.socket
            for _ in 0..<total {
                guard let message = try? router.receive() else { break }
                guard (try? router.send(message)) != nil else { break }
            }
            router.close()
        }
        defer { echo.join() }

        let payload = Frame([UInt8](repeating: 0x5A, count: bytes))
        var samples = [Double]()
        samples.reserveCapacity(iterations)
        let clock = ContinuousClock()
        for round in 0..<total {
            if pause > .zero { Self.sleep(pause) }
            let start = clock.now
            try dealer.send(payload)
            let reply = try dealer.receive()
            let elapsed = clock.now - start
            guard reply.count == 1, reply[0].count == bytes else {
                throw ZMQError(code: ZMQError.invalidState.code, operation: "ZMQPingPong: echo returned \(reply)")
            }
            if round >= warmup {
                let (whole, attoseconds) = elapsed.components
                samples.append(Double(whole) * 1e6 + Double(attoseconds) / 1e12)
            }
        }
        samples.sort()
        return Result(
            bytes: bytes, iterations: iterations,
            meanMicroseconds: samples.reduce(0, +) / Double(samples.count),
            medianMicroseconds: samples[samples.count / 2],
            p99Microseconds: samples[min(samples.count - 1, Int(Double(samples.count) * 0.99))],
            minMicroseconds: samples[0]
        )
    }

    /// Blocks the calling thread for `duration` (the benchmark is synchronous).
    private static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 { request = remaining }
    }
}
