import Foundation
import Testing
import Logging
import SwitchyardModel
import SwitchyardServing
import SwitchyardCluster
import SwitchyardTensor
import SwitchyardCluster
import SwitchyardCluster

/// The golden checkpoints written by transformers (Tests/SwitchyardModelTests/Fixtures).
enum GoldenCheckpoints {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SwitchyardModelTests/Fixtures")

    static var names: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? [])
            .filter { FileManager.default.fileExists(atPath: root.appendingPathComponent("\($0)/config.json").path) }.sorted()
    }
}

/// A router's cluster side with in-process workers on loopback TCP.
final class InProcessCluster: @unchecked Sendable {
    let cluster: ClusterService
    let workers: [Worker]
    let engine: Engine

    init(directory: URL, pins: [Set<Int>], microBatches: Int = 2, dtypes: WeightDTypes = .auto,
         wireDType: WireRowDType = .f32) async throws {
        var quiet = Logger(label: "test")
        quiet.logLevel = ProcessInfo.processInfo.environment["SWITCHYARD_TEST_LOG"] == nil ? .critical : .info
        let config = try ModelConfig.load(directory: directory)
        let checkpoint = try Checkpoint(directory: directory, config: config, filter: .nonExperts, dtypes: dtypes)
        let weights = try BackboneWeights.load(checkpoint, config: config)
        cluster = try ClusterService(
            modelConfig: config, fingerprint: try ModelIdentity.fingerprint(config: config, directory: directory),
            configuration: ClusterConfiguration(listen: "tcp://127.0.0.1:*", heartbeatInterval: .milliseconds(500),
                                                dispatchTimeout: .seconds(20), wireDType: wireDType),
            logger: quiet)
        let endpoint = cluster.endpoint
        workers = try pins.enumerated().map { index, pin in
            try Worker(configuration: WorkerConfiguration(routerEndpoint: endpoint, modelDirectory: directory,
                                                          workerID: "w\(index)", pinnedExperts: pin, heartbeatInterval: .milliseconds(500),
                                                          dtypes: dtypes),
                       logger: quiet)
        }
        for worker in workers { try worker.start() }
        engine = Engine(config: config, weights: weights, experts: RemoteExpertBackend(cluster: cluster), microBatches: microBatches)
        let deadline = ContinuousClock.now + .seconds(20)
        while !cluster.health().ready {
            if ContinuousClock.now > deadline { throw ClusterTestError("cluster not ready: \(cluster.health().detail)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func stop() {
        for worker in workers { worker.stop() }
        cluster.stop()
    }
}

struct ClusterTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Greedy decoding of several prompts batched together, returning tokens and their logprobs.
/// Greedy decoding of `prompts` together: each step's argmax token and its log-probability. With
/// `forced`, row r continues with `forced[r][step]` instead, whose log-probability is recorded
/// (teacher forcing: the comparison then survives a near-tie that rounding flips).
func greedyBatch(_ engine: Engine, prompts: [[Int32]], steps: Int, forced: [[Int32]]? = nil) async throws -> [(tokens: [Int32], logprobs: [Float])] {
    let caches = prompts.map { KVCache(config: engine.config, capacity: $0.count + steps + 1) }
    var results = prompts.map { _ in (tokens: [Int32](), logprobs: [Float]()) }
    var inputs = zip(caches, prompts).map { EngineInput(cache: $0, tokens: $1) }
    for step in 0 ..< steps {
        let logits = try await engine.forward(inputs)
        for row in 0 ..< prompts.count {
            let values = UnsafeBufferPointer(start: logits.row(row), count: logits.cols)
            var best = 0
            var maximum = -Float.infinity
            for (index, value) in values.enumerated() where value > maximum { maximum = value; best = index }
            var sum: Double = 0
            for value in values { sum += exp(Double(value - maximum)) }
            let next = forced.map { Int($0[row][step]) } ?? best
            results[row].tokens.append(Int32(best))
            results[row].logprobs.append(Float(Double(values[next] - maximum) - log(sum)))
            inputs[row] = EngineInput(cache: caches[row], tokens: [Int32(next)])
        }
    }
    return results
}

/// Worker layouts the cluster tests run: pins per worker (empty = any expert).
let clusterLayouts: [(String, [Set<Int>])] = [
    ("1 worker", [[]]),
    ("2 workers, one pinned to expert 0", [[0], []]),
    ("3 workers, uneven", [[0, 1], [], []]),
]

@Suite("Cluster equals the single-process engine", .serialized)
struct ClusterEquivalenceTests {
    @Test(arguments: GoldenCheckpoints.names)
    func sameGreedyTokensAndLogprobs(fixture: String) async throws {
        BLAS.setThreads(1)
        let directory = GoldenCheckpoints.root.appendingPathComponent(fixture)
        let local = try Engine.load(directory: directory)
        let vocab = Int32(local.config.vocabSize)
        let prompts: [[Int32]] = [[1, 2, 3, 4, 5], [7], (0 ..< 17).map { ($0 * 13 + 5) % vocab }]
        let expected = try await greedyBatch(local, prompts: prompts, steps: 6)
        let experts = ModelIdentity.expertsPerLayer(local.config)
        // Products that round their inputs (MXFP4 experts kept 4-bit: per block of 32; bf16 weights
        // under `vdpbf16ps`: to bf16) turn a last-bit difference between the single process's and
        // the cluster's sums of the same expert outputs into one input rounded the other way, which
        // these tiny random models amplify to up to ~1e-2 (the tokens still agree).
        let roundsInputs = fixture.contains("mxfp4") || (local.config.dtype == .bf16 && KernelPath.bf16DotProduct)
        let tolerance: Float = roundsInputs ? 2e-2 : 1e-4
        for (name, layout) in clusterLayouts {
            // Dense models (llama) have one expert per layer: pins to absent ids are dropped.
            let pins = layout.map { $0.filter { $0 < experts } }
            let cluster = try await InProcessCluster(directory: directory, pins: pins)
            defer { cluster.stop() }
            let got = try await greedyBatch(cluster.engine, prompts: prompts, steps: 6)
            for row in prompts.indices {
                #expect(got[row].tokens == expected[row].tokens, "\(fixture), \(name), prompt \(row)")
                for (a, b) in zip(got[row].logprobs, expected[row].logprobs) {
                    #expect(abs(a - b) < tolerance, "\(fixture), \(name): logprob \(a) vs \(b)")
                }
            }
        }
    }

    @Test("bf16 weights and bf16 wire rows follow the single-process bf16 engine",
          arguments: ["mixtral_basic", "olmoe_clip", "qwen2_moe_sharded", "gpt_oss_sliding_sinks"])
    func bf16WeightsAndWire(fixture: String) async throws {
        BLAS.setThreads(1)
        let directory = GoldenCheckpoints.root.appendingPathComponent(fixture)
        let dtypes = WeightDTypes(experts: .format(.bf16))
        let local = try Engine.load(directory: directory, dtypes: dtypes)
        let vocab = Int32(local.config.vocabSize)
        let prompts: [[Int32]] = [[1, 2, 3, 4, 5], [7], (0 ..< 17).map { ($0 * 13 + 5) % vocab }]
        let expected = try await greedyBatch(local, prompts: prompts, steps: 4)
        for wire in WireRowDType.allCases {
            let cluster = try await InProcessCluster(directory: directory, pins: [[0], []], dtypes: dtypes, wireDType: wire)
            defer { cluster.stop() }
            // f32 rows give the local result, token for token; bf16 rows round each expert input and
            // output once, which can flip a near-tie: the cluster follows the local tokens and its
            // log-probabilities of them are compared. With bf16-rounded activations (`vdpbf16ps`)
            // the model amplifies that rounding more.
            let bf16Wire = wire == .bf16
            let got = try await greedyBatch(cluster.engine, prompts: prompts, steps: 4, forced: bf16Wire ? expected.map(\.tokens) : nil)
            let tolerance: Float = !bf16Wire ? 1e-4 : KernelPath.bf16DotProduct ? 6e-2 : 2e-2
            for row in prompts.indices {
                if !bf16Wire { #expect(got[row].tokens == expected[row].tokens, "\(fixture), wire \(wire), prompt \(row)") }
                for (a, b) in zip(got[row].logprobs, expected[row].logprobs) {
                    #expect(abs(a - b) < tolerance, "\(fixture), wire \(wire): logprob \(a) vs \(b)")
                }
            }
        }
    }

    @Test func routerMapsNoExpertAndWorkersMapOnlyTheirShard() async throws {
        let directory = GoldenCheckpoints.root.appendingPathComponent("mixtral_basic")
        let config = try ModelConfig.load(directory: directory)
        let routerSide = try Checkpoint(directory: directory, config: config, filter: .nonExperts)
        _ = try BackboneWeights.load(routerSide, config: config)
        let whole = try Checkpoint(directory: directory, config: config)
        _ = try BackboneWeights.load(whole, config: config)
        _ = try LocalExpertBackend(checkpoint: whole, config: config)
        #expect(routerSide.mappedBytes < whole.mappedBytes / 2, "router mapped \(routerSide.mappedBytes) of \(whole.mappedBytes)")
    }
}
