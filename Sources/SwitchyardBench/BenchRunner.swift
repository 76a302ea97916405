import Foundation
import Logging
import NIOCore

/// Runs the load: sends the prompts on the arrival schedule, within the concurrency cap and the
/// overall time limit, and collects one record per prompt.
///
/// Open loop (finite `requestRate`): request `i` is intended at its schedule time; if the cap holds
/// it back, the wait is counted against it (latency from intended start). Closed loop (`inf` rate):
/// each request is intended when a slot frees, so both clocks agree. Requests never sent because the
/// time limit hit are recorded as `aborted`.
public struct BenchRunner: Sendable {
    public let client: BenchHTTPClient
    public let logger: Logger

    public init(client: BenchHTTPClient, logger: Logger = Logger(label: "switchyard.bench")) {
        self.client = client
        self.logger = logger
    }

    /// The model to name in requests: the given one, else the first of `GET /v1/models`.
    /// A connection that fails (a server that just became healthy can drop the first one) is
    /// retried `attempts` times, `pause` apart; an answer that is not a model list is not.
    /// Throws `HTTPClientError` or `BenchInputError` when the server cannot say.
    public func resolveModel(_ given: String?, timeouts: HTTPTimeouts, attempts: Int = 3,
                             pause: Duration = .milliseconds(300)) async throws -> String {
        if let given { return given }
        let lookup = ModelLookup(client: client)
        var attempt = 1
        while true {
            do {
                return try await lookup.firstModel(timeouts: timeouts)
            } catch let error as HTTPClientError where attempt < attempts {
                logger.info("GET /v1/models failed (\(error)); retrying")
                attempt += 1
                try await Task.sleep(for: pause)
            }
        }
    }

    /// The prompts of a run, from the configuration's source and seed; a prompt file shorter than
    /// `numPrompts` is repeated in order, a longer one is cut.
    public static func prompts(for configuration: BenchConfiguration) throws -> [BenchPrompt] {
        var rng = SeededRandom(seed: configuration.seed)
        switch configuration.prompts {
        case .random(let input, let ratio, let vocab):
            return RandomPromptGenerator(
                inputLength: input, outputLength: configuration.outputLength, rangeRatio: ratio, vocabSize: vocab
            ).make(count: configuration.numPrompts, rng: &rng)
        case .file(let path):
            let loaded = try PromptFile.load(path: path, defaultOutputTokens: configuration.outputLength)
            return (0..<configuration.numPrompts).map { loaded[$0 % loaded.count] }
        }
    }

    /// Runs one point. `prompts.count` must equal `configuration.numPrompts`.
    public func run(
        configuration: BenchConfiguration, model: String, prompts: [BenchPrompt], progress: ProgressHandler? = nil
    ) async -> BenchRunResult {
        precondition(prompts.count == configuration.numPrompts, "one prompt per request")
        var rng = SeededRandom(seed: configuration.seed &+ 0x5eed)
        let schedule: [Double]? = configuration.isOpenLoop
            ? ArrivalSchedule(count: prompts.count, rate: configuration.requestRate, burstiness: configuration.burstiness, rng: &rng).offsets
            : nil
        let executor = RequestExecutor(client: client, model: model, configuration: configuration)
        let clock = RunClock()
        let startDate = Date()
        let limit = configuration.maxDuration
        let records = await withTaskGroup(of: [RequestRecord]?.self) { outer in
            outer.addTask {
                await Self.load(prompts: prompts, schedule: schedule, cap: configuration.maxConcurrency,
                                executor: executor, clock: clock, progress: progress)
            }
            outer.addTask {
                try? await Task.sleep(until: clock.instant(at: limit), clock: .continuous)
                return nil
            }
            var result: [RequestRecord]?
            while let next = await outer.next() {
                if let records = next {
                    result = records
                    outer.cancelAll()
                } else if result == nil, !Task.isCancelled {
                    logger.warning("run time limit reached; aborting unfinished requests", metadata: ["bench.limit_s": "\(limit)"])
                    outer.cancelAll()
                }
            }
            return result ?? []
        }
        let duration = clock.now()
        return BenchRunResult(configuration: configuration, model: model, startDate: startDate, duration: duration, records: records)
    }

    private static func load(
        prompts: [BenchPrompt], schedule: [Double]?, cap: Int?, executor: RequestExecutor, clock: RunClock,
        progress: ProgressHandler?
    ) async -> [RequestRecord] {
        var records: [RequestRecord?] = Array(repeating: nil, count: prompts.count)
        var finished = 0
        var failed = 0
        func collect(_ record: RequestRecord) {
            records[record.index] = record
            finished += 1
            if !record.succeeded { failed += 1 }
            progress?(ProgressSnapshot(finished: finished, failed: failed, total: prompts.count, elapsed: clock.now()))
        }
        await withTaskGroup(of: RequestRecord.self) { group in
            var inFlight = 0
            for (index, prompt) in prompts.enumerated() {
                if let schedule {
                    do {
                        try await Task.sleep(until: clock.instant(at: schedule[index]), clock: .continuous)
                    } catch {
                        break
                    }
                }
                if let cap, inFlight >= cap, let done = await group.next() {
                    inFlight -= 1
                    collect(done)
                }
                if Task.isCancelled { break }
                let intendedAt = schedule?[index] ?? clock.now()
                group.addTask { await executor.run(index: index, prompt: prompt, intendedAt: intendedAt, clock: clock) }
                inFlight += 1
            }
            while let done = await group.next() { collect(done) }
        }
        let abortedAt = clock.now()
        return records.enumerated().map { index, record in
            record ?? RequestRecord(
                index: index, intendedAt: schedule?[index] ?? abortedAt, sentAt: nil, finishedAt: nil,
                inputTokens: prompts[index].knownInputTokens ?? 0, requestedOutputTokens: prompts[index].outputTokens,
                outputTokens: 0, ttft: nil, itl: [], latency: nil,
                failure: RequestFailure(.aborted, "not sent: the run ended (time limit or interrupt)")
            )
        }
    }
}
