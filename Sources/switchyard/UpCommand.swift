import SwitchyardModel
import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `switchyard up`: a router and N workers on this machine, as child processes on loopback.
///
/// Each child's output is prefixed with its name (`router |`, `worker-1 |`). Ctrl-C or SIGTERM
/// stops the router and the workers (SIGTERM, then SIGKILL after a grace period); if any child
/// exits on its own, the others are stopped too and `up` exits non-zero.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start a router and N workers on this machine (loopback) and stop them together."
    )

    @Option(help: "Model: a Hugging Face directory (config.json + safetensors), a .gguf file, split GGUF files or a directory holding one model's GGUF.")
    var model: String

    @Option(help: "Number of worker processes.")
    var workers: Int = 2

    @Option(help: "HTTP port of the router.")
    var port: Int = 8000

    @Option(help: "Address the router's HTTP API listens on.")
    var host: String = "127.0.0.1"

    @Option(name: .customLong("zmq-port"), help: "Loopback port for router-worker traffic.")
    var zmqPort: Int = 5555

    @Option(name: .customLong("router-threads"), help: "Compute threads of the router (default: every core).")
    var routerThreads: Int?

    /// Every worker gets every core by default, and its idle compute threads sleep at once instead
    /// of polling (`SWITCHYARD_SPIN_US=0` unless set): the kernel then shares the cores among the
    /// workers' threads as they have work, so when one worker is held up (the router's HTTP and
    /// socket threads, the clients on the same machine) the other's threads finish its part and
    /// then give the core back. With one thread each, the layer waited for the held-up worker while
    /// the other core idled: 2 workers on 2 cores, bench q4_K_M, 64 streams, median 1.035 of
    /// 8 alternated pairs (README, performance section).
    @Option(name: .customLong("worker-threads"), help: "Compute threads of each worker (default: every core; idle worker threads sleep at once).")
    var workerThreads: Int?

    /// Every process of `up` shares this machine's cores. Without overlap the router's phase
    /// (attention, head) and the workers' phase (experts) take turns, and each phase gets every
    /// core; two micro-batches in flight make the processes compete for the same cores instead.
    /// Measured on 2 cores, bench preset, 64 streams: 0.87-1.02 of `serve`'s throughput with 1
    /// micro-batch against 0.85-0.88 with 2, medians of 3 rounds (README, performance). `router` alone keeps its default of 2, which is
    /// what hides link latency and worker compute when workers have their own machines.
    @Option(name: .customLong("micro-batches"), help: "Micro-batches the router keeps in flight (1: its phase and the workers' take turns on the shared cores).")
    var microBatches: Int = 1

    /// Whole experts by default: on the bench preset (a random gate, so evenly loaded experts) two
    /// slices measured the same throughput as whole experts (README, performance section).
    @Option(name: .customLong("expert-slices"), help: "Slices per expert, passed to router and workers (see `router --expert-slices`).")
    var expertSlices: Int = 1

    /// Workers on the router's host offer it a shared-memory lane by default (`SharedMemoryLane`):
    /// dispatches and replies skip ZeroMQ's I/O threads. The flag keeps them on ZeroMQ (to compare).
    @Flag(name: .customLong("no-local-lane"), help: "Workers offer no shared-memory lane: dispatches go over ZeroMQ (loopback TCP).")
    var noLocalLane = false

    @Argument(parsing: .postTerminator, help: "Extra flags passed to `switchyard router` after `--`.")
    var routerFlags: [String] = []

    func validate() throws {
        guard (1...64).contains(workers) else { throw ValidationError("--workers must be between 1 and 64") }
        guard (1...8).contains(microBatches) else { throw ValidationError("--micro-batches must be between 1 and 8") }
        guard (1...64).contains(expertSlices) else { throw ValidationError("--expert-slices must be between 1 and 64") }
        for (flag, value) in [("--router-threads", routerThreads), ("--worker-threads", workerThreads)] {
            if let value, !(1...256).contains(value) { throw ValidationError("\(flag) must be between 1 and 256") }
        }
        guard (1...65535).contains(port), (1...65535).contains(zmqPort) else { throw ValidationError("ports must be between 1 and 65535") }
        guard FileManager.default.fileExists(atPath: model + "/config.json") || ModelLocation.isGGUF(URL(fileURLWithPath: model)) else {
            throw ValidationError("--model \(model) is neither a GGUF model nor a directory with config.json (create one with `switchyard init-model`)")
        }
    }

    @OptionGroup var weightFormat: WeightDTypeOptions

    func run() async throws {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        let endpoint = "tcp://127.0.0.1:\(zmqPort)"
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let routerThreads = routerThreads ?? cores
        let workerThreads = workerThreads ?? cores
        // Threads that poll while idle would keep the cores from the other processes' threads.
        let workerEnvironment = ProcessInfo.processInfo.environment["SWITCHYARD_SPIN_US"] == nil ? ["SWITCHYARD_SPIN_US": "0"] : [:]
        var children: [ChildProcess] = []
        // Flags after `--` come last, so they win over these.
        let router = try ChildProcess.launch(name: "router", executable: executable, arguments: [
            "router", "--model", model, "--listen", endpoint, "--host", host, "--port", String(port),
            "--threads", String(routerThreads), "--micro-batches", String(microBatches), "--expert-slices", String(expertSlices),
        ] + weightFormat.arguments + routerFlags)
        children.append(router)
        for index in 1...workers {
            children.append(try ChildProcess.launch(name: "worker-\(index)", executable: executable, arguments: [
                "worker", "--router", endpoint, "--model", model, "--id", "worker-\(index)", "--threads", String(workerThreads),
                "--expert-slices", String(expertSlices),
            ] + (noLocalLane ? ["--no-local-lane"] : []) + weightFormat.arguments, environment: workerEnvironment))
        }
        FileHandle.standardError.write(Data("up: router on http://\(host):\(port) (\(routerThreads) threads), \(workers) workers on \(endpoint) (\(workerThreads) threads each, experts in \(expertSlices) slice\(expertSlices == 1 ? "" : "s")); Ctrl-C stops all\n".utf8))

        let stop = StopFlag()
        let signalSources = [SIGINT, SIGTERM].map { signalNumber -> DispatchSourceSignal in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { stop.set() }
            source.resume()
            return source
        }
        defer { signalSources.forEach { $0.cancel() } }

        var failed: ChildProcess?
        while !stop.isSet {
            if let exited = children.first(where: { !$0.isRunning }) { failed = exited; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        // The router first: it stops accepting and finishes in-flight requests, which need the
        // workers; then the workers, all at once.
        router.terminate(grace: .seconds(30))
        let workerProcesses = children.dropFirst()
        workerProcesses.forEach { $0.signalTerminate() }
        workerProcesses.forEach { $0.terminate(grace: .seconds(10)) }
        if let failed {
            FileHandle.standardError.write(Data("up: \(failed.name) exited with status \(failed.exitStatus); stopped the others\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// A flag set from a signal handler and read by the main loop.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}

/// A child process whose output lines are copied to ours with a name prefix.
final class ChildProcess: @unchecked Sendable {
    let name: String
    let process: Process

    private init(name: String, process: Process) {
        self.name = name
        self.process = process
    }

    /// `environment` adds to (or overrides) this process's environment for the child.
    static func launch(name: String, executable: String, arguments: [String], environment: [String: String] = [:]) throws -> ChildProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, child in child }
        }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let prefix = Data("\(name) | ".utf8)
        let buffer = LineBuffer()
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil; return }
            for line in buffer.lines(appending: data) {
                FileHandle.standardError.write(prefix + line + Data("\n".utf8))
            }
        }
        do {
            try process.run()
        } catch {
            throw ValidationError("cannot start \(name) (\(executable)): \(error)")
        }
        return ChildProcess(name: name, process: process)
    }

    var isRunning: Bool { process.isRunning }
    var exitStatus: Int32 { process.isRunning ? 0 : process.terminationStatus }

    /// Sends SIGTERM without waiting.
    func signalTerminate() {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
    }

    /// SIGTERM, then SIGKILL when it is still running after `grace`.
    func terminate(grace: Duration) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while process.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// Splits a byte stream into lines.
final class LineBuffer: @unchecked Sendable {
    private var pending = Data()
    private let lock = NSLock()

    func lines(appending data: Data) -> [Data] {
        lock.lock()
        defer { lock.unlock() }
        pending.append(data)
        var lines: [Data] = []
        while let newline = pending.firstIndex(of: 0x0A) {
            lines.append(pending[pending.startIndex ..< newline])
            pending.removeSubrange(pending.startIndex ... newline)
        }
        return lines
    }
}
