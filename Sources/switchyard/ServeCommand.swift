import SwitchyardTokenizer
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import SwitchyardModel
import SwitchyardServing
import SwitchyardCluster
import SwitchyardTensor

/// Flags shared by every command that serves HTTP (`serve`, `router`).
struct ServingOptions: ParsableArguments {
    @Option(help: "Address to listen on for HTTP clients.")
    var host: String = "127.0.0.1"

    @Option(help: "HTTP port.")
    var port: Int = 8000

    @Option(name: .customLong("served-model-name"), help: "Model name in the API (default: the model directory's name).")
    var servedModelName: String?

    /// 2048 is vLLM's default for its OpenAI server. On the bench preset it used about 5% less CPU
    /// per token than 512 at 64 streams (fewer, taller prefill products), for a longer first-token
    /// time when many prompts arrive at once.
    @Option(name: .customLong("max-batch-tokens"), help: "Most tokens fed to the engine in one step (decodes plus prefill chunks).")
    var maxBatchTokens: Int = 2048

    @Option(name: .customLong("max-num-seqs"), help: "Most sequences running at once.")
    var maxNumSeqs: Int = 64

    @Option(name: .customLong("max-waiting"), help: "Most requests waiting for admission; more are answered 429.")
    var maxWaiting: Int = 1024

    @Option(name: .customLong("kv-cache-bytes"), help: "KV cache budget in bytes (default: 40% of available memory).")
    var kvCacheBytes: Int?

    @Option(name: .customLong("shutdown-grace"), help: "Seconds a SIGTERM waits for in-flight requests.")
    var shutdownGrace: Int = 30

    @Option(name: .customLong("api-key"), help: "Require `Authorization: Bearer KEY` on /v1/* (env SWITCHYARD_API_KEY).")
    var apiKey: String?

    @Option(name: .customLong("api-key-file"), help: "Read the API key from this file.")
    var apiKeyFile: String?

    @Option(name: .customLong("cors-origin"), help: "Allow browsers from this origin (`*` for any) to call the API: CORS headers and OPTIONS preflight. Off by default.")
    var corsOrigin: String?

    @Option(name: .customLong("chat-template"), help: "Jinja chat template file for /v1/chat/completions (replaces the model's).")
    var chatTemplate: String?

    @Option(name: .customLong("chat-template-name"), help: "Which of the model's named chat templates every request uses (default: `tool_use` for requests with tools when the model has one, else `default`).")
    var chatTemplateName: String?

    @Option(name: .customLong("header-timeout"), help: "Seconds from a request's first byte until its headers must be complete (408 past it).")
    var headerTimeout: Int = 10

    @Option(name: .customLong("body-timeout"), help: "Seconds from a request's headers until its body must be complete (408 past it).")
    var bodyTimeout: Int = 30

    @Option(name: .customLong("idle-timeout"), help: "Seconds an HTTP connection with no request in progress stays open.")
    var idleTimeout: Int = 75

    func validate() throws {
        guard (1...65535).contains(port) || port == 0 else { throw ValidationError("--port must be between 1 and 65535") }
        guard maxBatchTokens >= 1 else { throw ValidationError("--max-batch-tokens must be at least 1") }
        guard maxNumSeqs >= 1 else { throw ValidationError("--max-num-seqs must be at least 1") }
        guard maxBatchTokens >= maxNumSeqs else {
            throw ValidationError("--max-batch-tokens (\(maxBatchTokens)) must be at least --max-num-seqs (\(maxNumSeqs)) so every running sequence decodes each step")
        }
        guard maxWaiting >= 0 else { throw ValidationError("--max-waiting must not be negative") }
        if let kvCacheBytes, kvCacheBytes <= 0 { throw ValidationError("--kv-cache-bytes must be positive") }
        if let chatTemplate, !FileManager.default.fileExists(atPath: chatTemplate) {
            throw ValidationError("--chat-template \(chatTemplate) does not exist")
        }
        guard shutdownGrace >= 0 else { throw ValidationError("--shutdown-grace must not be negative") }
        for (flag, value) in [("--header-timeout", headerTimeout), ("--body-timeout", bodyTimeout), ("--idle-timeout", idleTimeout)] {
            guard value >= 1 else { throw ValidationError("\(flag) must be at least 1 second") }
        }
    }

    /// Connection limits from the timeout flags.
    var edges: HTTPEdgeLimits {
        HTTPEdgeLimits(headerTimeout: .seconds(headerTimeout), bodyTimeout: .seconds(bodyTimeout), idleTimeout: .seconds(idleTimeout))
    }

    /// The API key from the flag or the file (`SWITCHYARD_API_KEY` reaches `--api-key` like every
    /// `SWITCHYARD_*` variable reaches its flag, see `EnvironmentArguments`).
    func resolvedAPIKey() throws -> String? {
        if let apiKey, !apiKey.isEmpty { return apiKey }
        if let apiKeyFile {
            guard let text = try? String(contentsOfFile: apiKeyFile, encoding: .utf8) else {
                throw ValidationError("cannot read --api-key-file \(apiKeyFile)")
            }
            let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !key.isEmpty else { throw ValidationError("--api-key-file \(apiKeyFile) is empty") }
            return key
        }
        return nil
    }

    /// Scheduler limits for a model, with the KV budget from the flag or from free memory.
    func limits(for config: ModelConfig) -> SchedulerLimits {
        let bytes = kvCacheBytes ?? Int(Double(MachineMemory.availableBytes()) * 0.4)
        let tokens = max(1, bytes / KVCache.bytesPerToken(config))
        return SchedulerLimits(maxBatchTokens: maxBatchTokens, maxRunningSequences: maxNumSeqs,
                               kvCapacityTokens: tokens, maxWaiting: maxWaiting)
    }
}

/// Reads how much memory the machine has free.
enum MachineMemory {
    /// `MemAvailable` from /proc/meminfo, or a quarter of physical memory elsewhere.
    static func availableBytes() -> Int {
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) {
            for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
                let fields = line.split(separator: " ")
                if fields.count >= 2, let kilobytes = Int(fields[1]) { return kilobytes * 1024 }
            }
        }
        return Int(ProcessInfo.processInfo.physicalMemory / 4)
    }
}

/// `switchyard serve`: one process serves one model with every expert in-process.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model from one process over the OpenAI completions and chat APIs."
    )

    @Option(help: "Model: a Hugging Face directory (config.json + safetensors) or a GGUF file.")
    var model: String

    @OptionGroup var serving: ServingOptions

    @Option(help: "Compute threads for the engine.")
    var threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    @OptionGroup var weightFormat: WeightDTypeOptions

    func run() async throws {
        LoggingBootstrap.once()
        let logger = Logger(label: "switchyard.serve")
        BLAS.setThreads(threads)
        let directory = URL(fileURLWithPath: model)
        let engine: Engine
        weightFormat.applyRepack(automatic: true)
        do {
            engine = try Engine.load(directory: directory, dtypes: try weightFormat.parsed())
        } catch {
            printError("serve: cannot load model \(model): \(error)")
            throw ExitCode(1)
        }
        let tokenizer: Tokenizer?
        do {
            tokenizer = try ModelTokenizer.load(directory, modelVocabSize: engine.config.vocabSize, logger: logger)
        } catch {
            printError("serve: cannot load the tokenizer of \(model): \(error)")
            throw ExitCode(1)
        }
        let chatTemplates: ChatTemplateSet?
        do {
            chatTemplates = try ModelChatTemplate.load(directory, file: serving.chatTemplate, name: serving.chatTemplateName,
                                                       tokenizer: tokenizer, logger: logger)
        } catch {
            printError("serve: \(error)")
            throw ExitCode(1)
        }
        let limits = serving.limits(for: engine.config)
        let name = serving.servedModelName ?? directory.standardizedFileURL.lastPathComponent
        let server = ServingServer(
            engine: engine, limits: limits, shutdownGrace: .seconds(serving.shutdownGrace),
            http: ServingConfiguration(host: serving.host, port: serving.port, modelName: name, apiKey: try serving.resolvedAPIKey(),
                                       edges: serving.edges, corsOrigin: serving.corsOrigin),
            tokenizer: tokenizer, chatTemplates: chatTemplates)
        logger.info("serving", metadata: ["model": "\(name)", "kv_cache_tokens": "\(limits.kvCapacityTokens)", "address": "\(serving.host):\(serving.port)"])
        let app = server.application { port in
            logger.info("listening", metadata: ["port": "\(port)"])
        }
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}

/// Sets up swift-log once per process: stderr, level from `SWITCHYARD_LOG_LEVEL` (default info).
enum LoggingBootstrap {
    nonisolated(unsafe) private static var done = false

    static func once() {
        guard !done else { return }
        done = true
        let level = ProcessInfo.processInfo.environment["SWITCHYARD_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
