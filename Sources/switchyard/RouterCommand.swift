import SwitchyardTokenizer
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import SwitchyardModel
import SwitchyardServing
import SwitchyardCluster
import SwitchyardTensor
import SwitchyardCluster
import SwitchyardWire
import SwitchyardZMQ
#if canImport(Glibc)
import Glibc
#endif

/// `switchyard router`: the serving front end whose experts run on workers over ZeroMQ.
struct RouterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "router",
        abstract: "Serve a model over the OpenAI API, computing its experts on workers over ZeroMQ."
    )

    @Option(help: "Model: a Hugging Face directory or a GGUF file; the router maps every tensor but the experts.")
    var model: String

    @Option(help: "ZeroMQ endpoint for workers (default tcp://127.0.0.1:5555 without CURVE keys, tcp://0.0.0.0:5555 with them).")
    var listen: String?

    @OptionGroup var serving: ServingOptions

    @Option(help: "Compute threads for attention, gates and head.")
    var threads: Int = 1

    @Option(name: .customLong("micro-batches"), help: "Micro-batches in flight per step: 2 overlaps attention of one with the experts of the other; 1 turns overlap off.")
    var microBatches: Int = 2

    @Option(help: "Holders per expert where there are enough workers.")
    var replicas: Int = 1

    @Option(name: .customLong("heartbeat-ms"), help: "Heartbeat interval both ways; a worker silent for 3 is dead.")
    var heartbeatMs: Int = 500

    @Option(name: .customLong("curve-secret-key"), help: "CURVE: the router's secret key file (from `switchyard keygen`); encrypts all worker traffic.")
    var curveSecretKey: String?

    @Option(name: .customLong("allowed-workers"), help: "CURVE: file of allowed worker public keys, one per line; reloaded on SIGHUP.")
    var allowedWorkers: String?

    @Option(name: .customLong("dispatch-timeout"), help: "Seconds a dispatch waits for a worker's reply before it is re-sent to another holder (up to 3 sends), or its requests fail.")
    var dispatchTimeout: Int = 30

    @Option(name: .customLong("expert-slices"), help: "Cut every expert's intermediate rows into this many slices placed like experts, so each worker shares every routed row (even load; each row goes to more workers). Workers must use the same.")
    var expertSlices: Int = 1

    func validate() throws {
        guard (1...64).contains(expertSlices) else { throw ValidationError("--expert-slices must be between 1 and 64") }
        guard (1...8).contains(microBatches) else { throw ValidationError("--micro-batches must be between 1 and 8") }
        guard (1...16).contains(replicas) else { throw ValidationError("--replicas must be between 1 and 16") }
        guard (10...60_000).contains(heartbeatMs) else { throw ValidationError("--heartbeat-ms must be between 10 and 60000") }
        guard dispatchTimeout >= 1 else { throw ValidationError("--dispatch-timeout must be at least 1 second") }
        if (curveSecretKey == nil) != (allowedWorkers == nil) {
            throw ValidationError("--curve-secret-key and --allowed-workers go together: without an allow-list any client knowing the router's public key could join")
        }
        if let listen, !(listen.hasPrefix("tcp://") || listen.hasPrefix("ipc://")) {
            throw ValidationError("--listen must be a ZeroMQ endpoint like tcp://0.0.0.0:5555, got \(listen)")
        }
    }

    /// Where workers connect: `--listen` when given, else all interfaces with CURVE and only
    /// loopback without it (plain text never leaves the machine unless asked to).
    static func workerEndpoint(listen: String?, encrypted: Bool) -> String {
        listen ?? (encrypted ? "tcp://0.0.0.0:5555" : "tcp://127.0.0.1:5555")
    }

    @OptionGroup var weightFormat: WeightDTypeOptions

    @Option(name: .customLong("wire-dtype"), help: "Element type of the token rows sent to workers: auto (bf16 when the experts are not f32), f32 or bf16 (half the bytes per token-layer).")
    var wireDType: String = "auto"

    func run() async throws {
        LoggingBootstrap.once()
        let logger = Logger(label: "switchyard.router")
        BLAS.setThreads(threads)
        let directory = URL(fileURLWithPath: model)
        let config: ModelConfig
        let weights: BackboneWeights
        let fingerprint: Switchyard_V1_ModelFingerprint
        let wire: WireRowDType
        do {
            config = try ModelConfig.load(directory: directory)
            weightFormat.applyRepack(automatic: true)
            let checkpoint = try Checkpoint(directory: directory, config: config, filter: .nonExperts, dtypes: try weightFormat.parsed())
            weights = try BackboneWeights.load(checkpoint, config: config)
            fingerprint = try ModelIdentity.fingerprint(config: config, directory: directory)
            wire = try WireRowDType.resolve(wireDType, dtypes: checkpoint.dtypes,
                                            stored: checkpoint.storedFormat(of: "model.embed_tokens.weight") ?? .f32)
        } catch {
            printError("router: cannot load model \(model): \(error)")
            throw ExitCode(1)
        }
        let tokenizer: Tokenizer?
        do {
            tokenizer = try ModelTokenizer.load(directory, modelVocabSize: config.vocabSize, logger: logger)
        } catch {
            printError("router: cannot load the tokenizer of \(model): \(error)")
            throw ExitCode(1)
        }
        let chatTemplates: ChatTemplateSet?
        do {
            chatTemplates = try ModelChatTemplate.load(directory, file: serving.chatTemplate, name: serving.chatTemplateName,
                                                       tokenizer: tokenizer, logger: logger)
        } catch {
            printError("router: \(error)")
            throw ExitCode(1)
        }
        var curve: ClusterConfiguration.CurveSettings?
        if let curveSecretKey, let allowedWorkers {
            do {
                curve = .init(serverKeys: try CurveKeyFiles.readSecret(curveSecretKey),
                              allowedWorkers: try CurveKeyFiles.readAllowList(allowedWorkers))
            } catch {
                printError("router: \(error)")
                throw ExitCode(1)
            }
        }
        let endpoint = Self.workerEndpoint(listen: listen, encrypted: curve != nil)
        if curve == nil {
            logger.warning("router-worker traffic is NOT encrypted (no --curve-secret-key); listening on \(endpoint)")
        } else {
            logger.info("router-worker traffic is encrypted with CURVE", metadata: ["allowed_workers": "\(curve!.allowedWorkers.count)"])
        }

        let slicing: ExpertSlicing
        do {
            slicing = try ExpertSlicing(count: expertSlices)
            try slicing.validate(config)
        } catch {
            printError("router: \(error)")
            throw ExitCode(1)
        }
        let cluster: ClusterService
        do {
            cluster = try ClusterService(
                modelConfig: config, fingerprint: fingerprint,
                configuration: ClusterConfiguration(
                    listen: endpoint, heartbeatInterval: .milliseconds(heartbeatMs), liveness: 3, replicas: replicas,
                    dispatchTimeout: .seconds(dispatchTimeout), maxBatchTokens: max(serving.maxBatchTokens, ModelIdentity.defaultMaxBatchTokens),
                    curve: curve, wireDType: wire, expertSlicing: slicing))
        } catch {
            printError("router: cannot listen for workers on \(endpoint): \(error)")
            throw ExitCode(1)
        }
        let engine = Engine(config: config, weights: weights, experts: RemoteExpertBackend(cluster: cluster, parksComputeThreads: microBatches == 1),
                            microBatches: microBatches)
        let limits = serving.limits(for: config)
        let name = serving.servedModelName ?? directory.standardizedFileURL.lastPathComponent
        let server = ServingServer(
            engine: engine, limits: limits, shutdownGrace: .seconds(serving.shutdownGrace),
            http: ServingConfiguration(host: serving.host, port: serving.port, modelName: name, apiKey: try serving.resolvedAPIKey(),
                                       edges: serving.edges, corsOrigin: serving.corsOrigin),
            tokenizer: tokenizer, chatTemplates: chatTemplates, cluster: cluster)
        logger.info("router serving", metadata: ["model": "\(name)", "workers_endpoint": "\(cluster.endpoint)", "http": "\(serving.host):\(serving.port)",
                                                 "micro_batches": "\(microBatches)", "threads": "\(threads)",
                                                 "dtype": "\(weightFormat.dtype)", "wire_dtype": "\(wire.rawValue)"])
        let reload = allowedWorkers.map { path in
            SignalHandler(SIGHUP) {
                do {
                    cluster.replaceAllowedWorkers(try CurveKeyFiles.readAllowList(path))
                } catch {
                    logger.error("SIGHUP: keeping the old allow-list: \(error)")
                }
            }
        }
        defer { reload?.cancel() }
        let app = server.application { port in
            logger.info("listening", metadata: ["port": "\(port)"])
        }
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}

/// Runs a closure on a signal, on a dispatch queue rather than in the signal handler.
final class SignalHandler: @unchecked Sendable {
    private let source: DispatchSourceSignal

    init(_ number: Int32, _ action: @escaping @Sendable () -> Void) {
        signal(number, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler(handler: action)
        source.resume()
    }

    func cancel() { source.cancel() }
}
