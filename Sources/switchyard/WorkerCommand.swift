import ArgumentParser
import Dispatch
import Foundation
import Logging
import SwitchyardModel
import SwitchyardServing
import SwitchyardCluster
import SwitchyardTensor
import SwitchyardCluster
import SwitchyardCluster
#if canImport(Glibc)
import Glibc
#endif

/// `switchyard worker`: holds a shard of the experts and computes them for a router.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Hold a shard of a model's experts and compute them for a router over ZeroMQ."
    )

    @Option(help: "The router's worker endpoint, e.g. tcp://10.0.0.1:5555.")
    var router: String

    @Option(help: "Model: a Hugging Face directory or a GGUF file (the same checkpoint the router serves).")
    var model: String

    @Option(help: "Stable worker id, also its ZeroMQ routing id (default: hostname-pid).")
    var id: String?

    @Option(help: "Expert ids this worker insists on holding in every layer, e.g. 0-3,7 (default: any).")
    var experts: String?

    @Option(help: "Compute threads for expert matmuls.")
    var threads: Int = 1

    @Option(name: .customLong("heartbeat-ms"), help: "Heartbeat interval in milliseconds until the router sets its own.")
    var heartbeatMs: Int = 500

    @Option(name: .customLong("curve-secret-key"), help: "CURVE: this worker's secret key file (from `switchyard keygen`).")
    var curveSecretKey: String?

    @Option(name: .customLong("router-public-key"), help: "CURVE: the router's public key file.")
    var routerPublicKey: String?

    @Option(name: .customLong("max-batch-tokens"), help: "Most tokens of one router step (sizes the largest accepted dispatch).")
    var maxBatchTokens: Int = 4096

    @Option(name: .customLong("drain-timeout"), help: "Seconds SIGTERM waits for the router to move this worker's experts elsewhere before leaving anyway.")
    var drainTimeout: Double = 60

    @Option(name: .customLong("expert-slices"), help: "The router's --expert-slices: this worker then holds slices of experts (the router refuses a worker whose value differs).")
    var expertSlices: Int = 1

    @Flag(name: .customLong("no-local-lane"), help: "Do not offer the router a shared-memory lane (same host only): dispatches then always go over ZeroMQ.")
    var noLocalLane = false

    func validate() throws {
        guard router.hasPrefix("tcp://") || router.hasPrefix("ipc://") || router.hasPrefix("inproc://") else {
            throw ValidationError("--router must be a ZeroMQ endpoint like tcp://HOST:5555, got \(router)")
        }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256") }
        guard (1...64).contains(expertSlices) else { throw ValidationError("--expert-slices must be between 1 and 64") }
        guard (1...60_000).contains(heartbeatMs) else { throw ValidationError("--heartbeat-ms must be between 1 and 60000") }
        if (curveSecretKey == nil) != (routerPublicKey == nil) {
            throw ValidationError("--curve-secret-key and --router-public-key go together")
        }
        guard maxBatchTokens >= 1 else { throw ValidationError("--max-batch-tokens must be at least 1") }
        guard drainTimeout.isFinite, (0...86_400).contains(drainTimeout) else {
            throw ValidationError("--drain-timeout must be between 0 and 86400 seconds")
        }
        if let id {
            guard !id.isEmpty, id.utf8.count <= 255 else { throw ValidationError("--id must be 1...255 bytes") }
        }
        if let experts {
            do { _ = try ExpertSpec(parsing: experts) } catch { throw ValidationError("--experts: \(error)") }
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory),
              isDirectory.boolValue || ModelLocation.isGGUF(URL(fileURLWithPath: model)) else {
            throw ValidationError("--model \(model) is neither a model directory nor a GGUF file")
        }
    }

    @OptionGroup var weightFormat: WeightDTypeOptions

    func run() async throws {
        LoggingBootstrap.once()
        let logger = Logger(label: "switchyard.worker")
        BLAS.setThreads(threads)
        let spec = try experts.map { try ExpertSpec(parsing: $0) }
        var curve: WorkerConfiguration.Curve?
        if let curveSecretKey, let routerPublicKey {
            do {
                curve = .init(keys: try CurveKeyFiles.readSecret(curveSecretKey), routerKey: try CurveKeyFiles.readPublic(routerPublicKey))
            } catch {
                printError("worker: \(error)")
                throw ExitCode(1)
            }
        }
        weightFormat.applyRepack(automatic: true)
        var configuration = WorkerConfiguration(
            routerEndpoint: router, modelDirectory: URL(fileURLWithPath: model),
            workerID: id ?? WorkerConfiguration.defaultWorkerID(),
            pinnedExperts: spec?.ids ?? [], pinnedSpec: experts ?? "", threads: threads,
            heartbeatInterval: .milliseconds(heartbeatMs), maxBatchTokens: maxBatchTokens,
            softwareVersion: SwitchyardVersion.current, curve: curve,
            drainTimeout: .milliseconds(Int64(drainTimeout * 1000)), dtypes: try weightFormat.parsed()
        )
        configuration.expertSlicing = try ExpertSlicing(count: expertSlices)
        configuration.offersLocalLane = !noLocalLane
        let worker: Worker
        do {
            worker = try Worker(configuration: configuration, logger: logger)
        } catch {
            printError("worker: \(error)")
            throw ExitCode(1)
        }
        // SIGTERM/SIGINT drain gracefully (the router moves the experts away first); a second one stops at once.
        let signals = StopSignals { worker.drain() }
        defer { signals.cancel() }
        do {
            try await worker.run()
        } catch {
            printError("worker: \(error)")
            throw ExitCode(1)
        }
    }
}

/// SIGTERM and SIGINT handlers that call `action` (once per signal) instead of killing the process.
final class StopSignals {
    private let sources: [any DispatchSourceSignal]

    init(_ action: @escaping @Sendable () -> Void) {
        sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: action)
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
