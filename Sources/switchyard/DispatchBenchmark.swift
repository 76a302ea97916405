import SwitchyardTools
import Dispatch
import Foundation
import Logging
import SwitchyardModel
import SwitchyardServing
import SwitchyardCluster
import SwitchyardTensor
import SwitchyardZMQ

/// `switchyard perf --dispatch`: the round trip of one expert dispatch (router → worker → router
/// over ZeroMQ on loopback, with the expert compute) against the same compute in-process and a raw
/// ZeroMQ ping-pong of the same bytes, all measured in one run.
///
/// Every row goes to one expert of layer 0 (one worker holds every expert), so a dispatch carries
/// `rows x hidden x 4` bytes each way: exactly the ping-pong's message size.
enum DispatchBenchmark {
    struct Result {
        var rows: Int
        var bytes: Int
        /// Mean round trip of `RemoteExpertBackend.computeFFN`.
        var dispatchMicroseconds: Double
        /// Mean compute time the worker reported in its replies.
        var workerComputeMicroseconds: Double
        /// Mean time of the same compute on a local backend in this process.
        var localComputeMicroseconds: Double
        /// Mean raw ZeroMQ ROUTER/DEALER round trip of `bytes` each way.
        var pingPongMicroseconds: Double
        /// The same after 5 ms idle before each round trip: what a layer's hand-over meets when the
        /// other side's threads (and cores) went to sleep during the phase before it.
        var idlePingPongMicroseconds: Double
    }

    static func run(directory: URL, rows: [Int], iterations: Int) async throws -> [Result] {
        var quiet = Logger(label: "perf.dispatch")
        quiet.logLevel = .critical
        let config = try ModelConfig.load(directory: directory)
        let checkpoint = try Checkpoint(directory: directory, config: config)
        let local = try LocalExpertBackend(checkpoint: checkpoint, config: config,
                                           experts: Set((0..<config.ffnExperts(layer: 0)).map { ExpertKey(layer: 0, expert: $0) }))
        let cluster = try ClusterService(
            modelConfig: config, fingerprint: try ModelIdentity.fingerprint(config: config, directory: directory),
            configuration: ClusterConfiguration(listen: "tcp://127.0.0.1:*", dispatchTimeout: .seconds(30)), logger: quiet)
        defer { cluster.stop() }
        let worker = try Worker(configuration: WorkerConfiguration(routerEndpoint: cluster.endpoint, modelDirectory: directory,
                                                                   workerID: "perf", threads: BLAS.threadCount),
                                logger: quiet)
        try worker.start()
        defer { worker.stop() }
        let deadline = ContinuousClock.now + .seconds(60)
        while !cluster.health().ready {
            guard ContinuousClock.now < deadline else {
                throw EngineError.invalidArgument("the in-process worker did not register within 60 s: \(cluster.health().detail)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let remote = RemoteExpertBackend(cluster: cluster)
        let h = config.hiddenSize
        var generator = SeededGenerator(seed: 3)
        var results: [Result] = []
        for m in rows {
            let input = Matrix.random(rows: m, cols: h, scale: 1, generator: &generator)
            let output = Matrix(rows: m, cols: h)
            let routes = ExpertRoutes(rows: m, slotsPerRow: 1, expertIDs: Array(repeating: 0, count: m),
                                      weights: Array(repeating: 1, count: m))
            let before = cluster.snapshot().statistics
            let dispatch = try await mean(iterations) {
                try await remote.computeFFN(layer: 0, microBatch: 0, input: input, routes: routes, output: output)
            }
            let after = cluster.snapshot().statistics
            let served = Double(after.dispatches - before.dispatches)
            let workerCompute = Double(after.computeMicros - before.computeMicros) / max(1, served)
            let compute = try await mean(iterations) {
                try local.computeFFNSync(layer: 0, input: input, routes: routes, output: output)
            }
            let bytes = m * h * MemoryLayout<Float>.stride
            let pingPong = try ZMQPingPong.measureDetailed(bytes: bytes, iterations: iterations, warmup: 20).meanMicroseconds
            let idlePingPong = try ZMQPingPong.measureDetailed(bytes: bytes, iterations: max(1, iterations / 4), warmup: 5,
                                                               pause: .milliseconds(5)).meanMicroseconds
            results.append(Result(rows: m, bytes: bytes, dispatchMicroseconds: dispatch, workerComputeMicroseconds: workerCompute,
                                  localComputeMicroseconds: compute, pingPongMicroseconds: pingPong,
                                  idlePingPongMicroseconds: idlePingPong))
        }
        return results
    }

    /// Mean microseconds of `body` over `iterations` calls after a few untimed ones.
    private static func mean(_ iterations: Int, _ body: () async throws -> Void) async throws -> Double {
        for _ in 0..<3 { try await body() }
        let count = max(1, iterations)
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<count { try await body() }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3 / Double(count)
    }

    static func printTable(_ results: [Result]) {
        print("means in µs; transport = dispatch round trip - the worker's own compute time")
        print("rows    bytes  dispatch  worker compute  local compute  transport  ping-pong (same bytes)  transport/ping-pong  ping-pong after 5 ms idle")
        for r in results {
            let transport = r.dispatchMicroseconds - r.workerComputeMicroseconds
            print(String(format: "%4d  %7d  %8.1f  %14.1f  %13.1f  %9.1f  %22.1f  %19.2f  %25.1f", r.rows, r.bytes, r.dispatchMicroseconds,
                         r.workerComputeMicroseconds, r.localComputeMicroseconds, transport, r.pingPongMicroseconds,
                         transport / r.pingPongMicroseconds, r.idlePingPongMicroseconds))
        }
    }
}
