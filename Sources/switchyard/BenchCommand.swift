import ArgumentParser
import Foundation
import Logging
import Synchronization
import SwitchyardBench

/// `switchyard bench`: load-tests any OpenAI-compatible completions server (Switchyard, vLLM,
/// llama.cpp) and reports latency, throughput and failures.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Load-test an OpenAI-compatible completions server.",
        discussion: """
        Open loop: --request-rate R sends Poisson arrivals (gamma gaps with --burstiness); with \
        --max-concurrency C as well, requests wait for a free slot and the wait is reported. \
        Closed loop: the default rate inf with --max-concurrency C keeps C requests in flight.

        Service times (TTFT, TPOT, ITL, E2EL) are measured from the actual send, as vLLM's \
        benchmark does; "from intended" latencies start at the scheduled send time, so queueing \
        cannot hide (coordinated omission).
        """
    )

    @Option(help: "Server base URL, http://HOST:PORT (requests go to /v1/completions).")
    var url: String

    @Option(help: "Model name to send; default: the first model of GET /v1/models.")
    var model: String?

    @Option(help: "Number of requests per run (per sweep point).")
    var numPrompts: Int = 1000

    @Option(help: "Mean requests per second (Poisson arrivals), or inf to send all at once.")
    var requestRate: Double?

    @Option(help: "Gamma shape of arrival gaps: 1 is Poisson, <1 burstier, >1 more regular.")
    var burstiness: Double = 1

    @Option(help: "Most requests in flight at once.")
    var maxConcurrency: Int?

    @Option(help: "Random prompts: tokens per prompt (default 1024).")
    var inputLen: Int?

    @Option(help: "Tokens to generate per request (max_tokens, with ignore_eos).")
    var outputLen: Int = 128

    @Option(help: "Spread of random input and output lengths: uniform in [L(1-r), L(1+r)].")
    var rangeRatio: Double?

    @Option(help: "Random token ids are drawn from [0, vocab-size) (default: the server's vocabulary from /tokenizer_info or /v1/models, else 1000).")
    var vocabSize: Int?

    @Option(help: "API to drive: completions (/v1/completions) or chat (/v1/chat/completions, the prompt as one user message).")
    var endpoint: String = "completions"

    @Flag(name: .customLong("token-prompts"), help: "Send random prompts as token ids even when the server has a tokenizer (by default they go as text, decoded by the server's /detokenize, as vLLM's random dataset).")
    var tokenPrompts = false

    @Option(help: "JSONL prompts: one token-id array, string, or {\"prompt\": ..., \"output_len\": N} per line (repeated in order to --num-prompts).")
    var promptFile: String?

    @Option(help: "Seed for prompts and arrival times: the same seed gives the same run.")
    var seed: UInt64 = 0

    @Option(help: "Run several points: rate=R1,R2,... or concurrency=C1,C2,... (one summary row each).")
    var sweep: String?

    @Flag(help: "Send stream: false (no TTFT or inter-token gaps, only end-to-end latency).")
    var noStream = false

    @Flag(help: "Do not send ignore_eos (outputs may end early at EOS).")
    var noIgnoreEos = false

    @Option(help: "Sampling temperature.")
    var temperature: Double = 0

    @Option(parsing: .upToNextOption, help: "Goodput objectives in ms, e.g. --goodput ttft:500 tpot:50 (also e2el).")
    var goodput: [String] = []

    @Option(help: "Seconds one request may take.")
    var timeout: Double = 300

    @Option(help: "Seconds to establish a connection.")
    var connectTimeout: Double = 10

    @Option(help: "Seconds without any data from the server before a request times out.")
    var readTimeout: Double = 120

    @Option(help: "Seconds one run (sweep point) may take before unfinished requests are aborted.")
    var maxDuration: Double = 3600

    @Option(help: "Write vLLM-style result JSON with every per-request record to this file.")
    var resultJson: String?

    @Option(help: "Write a self-contained HTML report (or .svg plots) to this file.")
    var report: String?

    @Flag(help: "Keep generated text in the per-request records.")
    var saveText = false

    @Flag(help: "No progress output.")
    var quiet = false

    func validate() throws {
        do {
            let config = try makeConfiguration()
            try config.validate()
            var given: ExplicitFlags = []
            if requestRate != nil { given.insert(.requestRate) }
            if maxConcurrency != nil { given.insert(.maxConcurrency) }
            if inputLen != nil || rangeRatio != nil || vocabSize != nil { given.insert(.randomPromptOptions) }
            try config.checkCombinations(given)
            if let report {
                let lower = report.lowercased()
                guard lower.hasSuffix(".html") || lower.hasSuffix(".htm") || lower.hasSuffix(".svg") else {
                    throw BenchInputError("--report must end in .html or .svg")
                }
            }
            for path in [resultJson, report].compactMap({ $0 }) { try Self.checkWritable(path) }
            if case .file(let path) = config.prompts {
                _ = try PromptFile.load(path: path, defaultOutputTokens: outputLen)
            }
        } catch let error as BenchInputError {
            throw ValidationError(error.message)
        }
    }

    func run() async throws {
        var logger = Logger(label: "switchyard.bench")
        logger.logLevel = .info
        var config = try makeConfiguration()
        let client = BenchHTTPClient(url: config.url)
        let runner = BenchRunner(client: client, logger: logger)
        let timeouts = HTTPTimeouts(connect: config.connectTimeout, read: config.readTimeout, total: config.requestTimeout)
        let modelName: String
        do {
            modelName = try await runner.resolveModel(config.model, timeouts: timeouts)
        } catch {
            // Guessing a name would turn every request into a 404: say so and stop instead.
            printError("bench: cannot learn the model name from \(config.url)/v1/models (\(error)); pass --model NAME")
            throw ExitCode(1)
        }
        var prompts: [BenchPrompt]
        do {
            let vocabulary = await learnVocabulary(&config, client: client, timeouts: timeouts)
            prompts = try BenchRunner.prompts(for: config)
            if vocabulary?.hasTokenizer == true, !tokenPrompts, promptFile == nil, case .random(_, _, let drawnBelow) = config.prompts {
                prompts = try await ServerVocabulary.textPrompts(prompts, vocabSize: drawnBelow, seed: config.seed, client: client,
                                                                  timeouts: timeouts)
            }
        } catch let error as BenchInputError {
            throw ValidationError(error.message)
        }
        // Ctrl-C stops the run and still reports what finished; a second Ctrl-C quits at once.
        let work = Task { await runPoints(config, runner: runner, model: modelName, prompts: prompts) }
        let interrupts = Self.onInterrupt { work.cancel() }
        let results = await work.value
        interrupts.cancel()
        if work.isCancelled { printError("bench: interrupted; reporting the requests that finished") }
        try writeOutputs(results)
        if work.isCancelled { throw ExitCode(130) }
    }

    /// Random prompts without `--vocab-size` draw ids below the server's vocabulary, learned from
    /// `/tokenizer_info` or `/v1/models` (1000 when the server says neither).
    private func learnVocabulary(_ config: inout BenchConfiguration, client: BenchHTTPClient, timeouts: HTTPTimeouts) async -> ServerVocabulary? {
        guard case .random(let input, let ratio, _) = config.prompts else { return nil }
        let vocabulary = await ServerVocabulary.lookup(client: client, timeouts: timeouts)
        if vocabSize == nil {
            if let vocabulary {
                config.prompts = .random(inputLength: input, rangeRatio: ratio, vocabSize: vocabulary.vocabSize)
            } else if !quiet {
                printError("bench: the server does not report its vocabulary; drawing ids below 1000 (pass --vocab-size)")
            }
        }
        return vocabulary
    }

    /// Runs every sweep point (or the one point) in turn, printing each summary.
    private func runPoints(
        _ config: BenchConfiguration, runner: BenchRunner, model modelName: String, prompts: [BenchPrompt]
    ) async -> [BenchRunResult] {
        var results: [BenchRunResult] = []
        let points = config.points
        for (i, point) in points.enumerated() {
            if Task.isCancelled, !results.isEmpty { break }
            let label = points.count > 1 ? "point \(i + 1)/\(points.count)" : ""
            if !quiet {
                printError("bench: \(config.url) model \(modelName), \(point.numPrompts) requests, "
                    + "rate \(point.requestRate.isFinite ? String(point.requestRate) : "inf"), "
                    + "max concurrency \(point.maxConcurrency.map(String.init) ?? "none")")
            }
            let progress = quiet ? nil : ProgressPrinter(label: label).handler
            let result = await runner.run(configuration: point, model: modelName, prompts: prompts, progress: progress)
            results.append(result)
            print(SummaryTable.render(result))
        }
        return results
    }

    /// Writes the sweep table, the result JSON and the report; exits 1 when nothing completed.
    private func writeOutputs(_ results: [BenchRunResult]) throws {
        if results.count > 1 { print(SummaryTable.renderSweep(results)) }
        if let resultJson {
            try ResultDocument.write(results.count == 1 ? ResultDocument.make(results[0]) : ResultDocument.make(sweep: results), to: resultJson)
            printError("bench: wrote \(resultJson)")
        }
        if let report {
            let text = report.lowercased().hasSuffix(".svg") ? HTMLReport.renderSVG(results[results.count - 1]) : HTMLReport.render(results)
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: report))
            } catch {
                throw BenchInputError("cannot write \(report): \(error.localizedDescription)")
            }
            printError("bench: wrote \(report)")
        }
        if results.allSatisfy({ $0.summary.completed == 0 }) {
            printError("bench: no request completed")
            throw ExitCode(1)
        }
    }

    /// Calls `action` on the first SIGINT; exits with 130 on the second.
    static func onInterrupt(_ action: @escaping @Sendable () -> Void) -> any DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let seen = ManagedAtomicFlag()
        source.setEventHandler {
            if seen.setAndCheckWasSet() { Foundation.exit(130) }
            action()
        }
        source.resume()
        return source
    }

    /// The library configuration from the flags (parsing only; `validate()` checks ranges).
    func makeConfiguration() throws -> BenchConfiguration {
        let source: PromptSource = if let promptFile {
            .file(path: promptFile)
        } else {
            .random(inputLength: inputLen ?? 1024, rangeRatio: rangeRatio ?? 0, vocabSize: vocabSize ?? 1000)
        }
        let slo: GoodputSLO? = goodput.isEmpty ? nil : try GoodputSLO(parsing: goodput)
        let sweepValue: Sweep? = try sweep.map { try Sweep(parsing: $0) }
        return BenchConfiguration(
            url: try BenchURL(parsing: url), model: model, numPrompts: numPrompts,
            requestRate: requestRate ?? .infinity, burstiness: burstiness, maxConcurrency: maxConcurrency,
            prompts: source, outputLength: outputLen, seed: seed, stream: !noStream, ignoreEOS: !noIgnoreEos,
            temperature: temperature, requestTimeout: timeout, connectTimeout: connectTimeout,
            readTimeout: readTimeout, maxDuration: maxDuration, goodput: slo, sweep: sweepValue, saveText: saveText
        ).with(endpoint: try Self.endpoint(endpoint))
    }

    /// The `--endpoint` value.
    static func endpoint(_ name: String) throws -> BenchEndpoint {
        guard let endpoint = BenchEndpoint(rawValue: name.lowercased()) else {
            throw ValidationError("--endpoint must be completions or chat, got '\(name)'")
        }
        return endpoint
    }

    /// Fails before the run when an output file's folder is missing.
    static func checkWritable(_ path: String) throws(BenchInputError) {
        let dir = (path as NSString).deletingLastPathComponent
        var isDir: ObjCBool = false
        let folder = dir.isEmpty ? "." : dir
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw BenchInputError("cannot write \(path): folder \(folder) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw BenchInputError("cannot write \(path): folder \(folder) is not writable")
        }
    }
}

/// A flag set once from a signal handler.
final class ManagedAtomicFlag: Sendable {
    private let value = Atomic<Bool>(false)

    /// Sets the flag; returns whether it was already set.
    func setAndCheckWasSet() -> Bool {
        value.exchange(true, ordering: .relaxed)
    }
}
