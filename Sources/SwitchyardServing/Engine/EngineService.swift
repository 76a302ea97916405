import Foundation
import Logging
import ServiceLifecycle
import SwitchyardModel
import SwitchyardTensor
import Synchronization

/// Runs the engine: admits requests, plans continuous-batching steps with `Scheduler`, feeds the
/// engine, samples, and streams tokens back to each request's `AsyncThrowingStream`.
///
/// The loop runs on its own OS thread (a `DedicatedThreadExecutor`), so blocking BLAS work never
/// occupies Swift's cooperative pool that the HTTP server uses. It does not care where experts run:
/// the `Engine` it drives has whichever `ExpertBackend` the process set up.
public final class EngineService: Service, Sendable {
    /// Serving limits and timings.
    public struct Configuration: Sendable {
        public var limits: SchedulerLimits
        /// How long a graceful shutdown waits for in-flight requests before failing them.
        public var shutdownGracePeriod: Duration

        public init(limits: SchedulerLimits, shutdownGracePeriod: Duration = .seconds(30)) {
            self.limits = limits
            self.shutdownGracePeriod = shutdownGracePeriod
        }
    }

    /// Whether the service accepts new requests.
    public enum Phase: Sendable, Equatable {
        case accepting
        case draining
        case stopped
    }

    /// A sequence's sampler, by reference: the engine loop samples outside the lock (rows
    /// concurrently), and only the engine loop ever touches it.
    final class SamplerSlot: @unchecked Sendable {
        var sampler: Sampler
        init(_ sampler: Sampler) { self.sampler = sampler }
    }

    struct Sequence {
        var request: GenerationRequest
        var tokens: [Int32]
        let sampler: SamplerSlot
        var cache: KVCache?
        var generated = 0
        /// Prompt log-probabilities computed so far (when asked), sent with the first token.
        var promptLogprobs: [PromptTokenLogprob] = []
        let arrival: ContinuousClock.Instant
        /// When the sequence first ran (its queue time ends).
        var started: ContinuousClock.Instant?
        var firstToken: ContinuousClock.Instant?
        var lastToken: ContinuousClock.Instant?
        let continuation: AsyncThrowingStream<GeneratedToken, any Error>.Continuation
    }

    struct Core {
        var scheduler: Scheduler
        var sequences: [SequenceID: Sequence] = [:]
        var nextID: UInt64 = 1
        var phase: Phase = .accepting
        /// Set by the service group's graceful shutdown: the loop ends once drained.
        var exitWhenDrained = false
        var steps: UInt64 = 0
    }

    public let engine: Engine
    public let metrics: ServingMetrics
    private let configuration: Configuration
    private let core: Mutex<Core>
    private let wake: AsyncStream<Void>.Continuation
    private let wakeups: AsyncStream<Void>
    private let logger: Logger

    public init(engine: Engine, configuration: Configuration, metrics: ServingMetrics = ServingMetrics(), logger: Logger = Logger(label: "switchyard.engine")) {
        self.engine = engine
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.core = Mutex(Core(scheduler: Scheduler(limits: configuration.limits)))
        (self.wakeups, self.wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        registerGauges()
    }

    public var phase: Phase { core.withLock { $0.phase } }
    /// Sequences holding a KV cache now.
    public var runningCount: Int { core.withLock { $0.scheduler.runningCount } }
    /// Sequences waiting for admission now.
    public var waitingCount: Int { core.withLock { $0.scheduler.waitingCount } }
    public var limits: SchedulerLimits { configuration.limits }

    /// Queues a sequence and returns its token stream. Throws at once when the request can never
    /// run (too large for the KV cache), the queue is full, or the server is draining.
    /// Cancelling the stream's consumer (a client that disconnects) cancels the sequence.
    public func submit(_ request: GenerationRequest) throws(OpenAIError) -> GenerationHandle {
        try submit(siblings: [request])[0]
    }

    /// Queues sequences of one prompt (the `n` or `best_of` choices of a request), all or none:
    /// the prompt is computed once and its cache copied to each (`Scheduler`'s siblings). They
    /// may differ in sampling only.
    public func submit(siblings requests: [GenerationRequest]) throws(OpenAIError) -> [GenerationHandle] {
        precondition(!requests.isEmpty && requests.allSatisfy {
            $0.promptTokens == requests[0].promptTokens && $0.maxNewTokens == requests[0].maxNewTokens
        }, "siblings share their prompt and length")
        let streams = requests.map { _ in AsyncThrowingStream.makeStream(of: GeneratedToken.self, throwing: (any Error).self) }
        let first = requests[0]
        let result: Result<[SequenceID], OpenAIError> = core.withLock { core in
            guard core.phase == .accepting else {
                return .failure(.unavailable("The server is shutting down and accepts no new requests."))
            }
            let ids = requests.indices.map { SequenceID(core.nextID + UInt64($0)) }
            let rejection = core.scheduler.submit(siblings: ids, promptLength: first.promptTokens.count, maxNewTokens: first.maxNewTokens)
            switch rejection {
            case nil:
                core.nextID += UInt64(ids.count)
                let now = ContinuousClock.now
                for (index, id) in ids.enumerated() {
                    let request = requests[index]
                    core.sequences[id] = Sequence(
                        request: request, tokens: request.promptTokens,
                        sampler: SamplerSlot(Sampler(params: request.sampling, promptTokens: request.promptTokens)),
                        arrival: now, continuation: streams[index].continuation)
                }
                return .success(ids)
            case .queueFull(let limit)?:
                return .failure(.overloaded("The server is overloaded: \(limit) requests are already waiting. Retry later."))
            case .exceedsCapacity(let needed, let capacity)?:
                return .failure(.promptTooLong("The prompt plus max_tokens needs \(needed) KV cache slots, more than this server's whole cache (\(capacity) tokens). Shorten the prompt or lower max_tokens."))
            case .duplicate?:
                return .failure(.internalError("duplicate sequence id"))
            }
        }
        switch result {
        case .failure(let error):
            for stream in streams { stream.continuation.finish() }
            throw error
        case .success(let ids):
            wake.yield()
            return zip(ids, streams).map { id, stream in
                stream.continuation.onTermination = { [weak self] termination in
                    if case .cancelled = termination { self?.cancel(id) }
                }
                return GenerationHandle(id: id, tokens: stream.stream, service: self)
            }
        }
    }

    /// Cancels a sequence and frees its cache; its token stream ends with `GenerationError.cancelled`.
    /// Nothing happens when it already ended.
    public func cancel(_ id: SequenceID) {
        let removed = core.withLock { core -> Sequence? in
            guard let sequence = core.sequences.removeValue(forKey: id) else { return nil }
            core.scheduler.finish(id)
            return sequence
        }
        if let removed {
            metrics.requestFailed("cancelled")
            removed.continuation.finish(throwing: GenerationError.cancelled)
            wake.yield()
        }
    }

    /// Runs the engine loop until a graceful shutdown has drained every request (or the grace
    /// period ran out, failing what was left).
    public func run() async throws {
        let executor = DedicatedThreadExecutor(name: "switchyard-engine")
        defer { executor.shutdown() }
        await withGracefulShutdownHandler {
            await withTaskExecutorPreference(executor) {
                await self.loop()
            }
        } onGracefulShutdown: {
            self.beginDraining(exitWhenDrained: true)
        }
    }

    /// Stops accepting requests; running and waiting ones finish. With `exitWhenDrained` (the
    /// service group's graceful shutdown, after the HTTP server has stopped) the loop then ends,
    /// failing what is left after the grace period.
    public func beginDraining(exitWhenDrained: Bool = false) {
        core.withLock {
            if $0.phase == .accepting { $0.phase = .draining }
            if exitWhenDrained { $0.exitWhenDrained = true }
        }
        logger.info("draining: no new requests; waiting for in-flight ones")
        wake.yield()
    }

    private func loop() async {
        var drainDeadline: ContinuousClock.Instant?
        var wakeIterator = wakeups.makeAsyncIterator()
        while true {
            let (plan, phase, idle, exiting) = core.withLock { core -> (Scheduler.StepPlan, Phase, Bool, Bool) in
                (core.scheduler.nextStep(), core.phase, core.scheduler.isIdle, core.exitWhenDrained)
            }
            if exiting {
                if drainDeadline == nil { drainDeadline = .now + configuration.shutdownGracePeriod }
                if idle { break }
                if let deadline = drainDeadline, ContinuousClock.now >= deadline {
                    failAll(GenerationError.shuttingDown, reason: "shutdown")
                    break
                }
            }
            if plan.isEmpty {
                if Task.isCancelled { break }
                if exiting {
                    try? await Task.sleep(for: .milliseconds(10))
                } else {
                    _ = await wakeIterator.next()
                }
                continue
            }
            await runStep(plan)
        }
        core.withLock { $0.phase = .stopped }
        failAll(GenerationError.shuttingDown, reason: "shutdown")
    }

    private func runStep(_ planned: Scheduler.StepPlan) async {
        // Gather inputs for the sequences still alive (one may have been cancelled since planning).
        // Caches are created when a sequence first runs, sized to its reservation.
        let (plan, inputs, promptTokens, promptRequests, copies) = core.withLock { core -> (Scheduler.StepPlan, [EngineInput], Int, [PromptLogprobRequest?], [(KVCache, KVCache, Int)]) in
            var plan = Scheduler.StepPlan(admitted: planned.admitted)
            var promptTokens = 0
            var inputs: [EngineInput] = []
            var promptRequests: [PromptLogprobRequest?] = []
            var copies: [(from: KVCache, to: KVCache, count: Int)] = []
            var unforked: Set<SequenceID> = []
            inputs.reserveCapacity(planned.feeds.count)
            // Siblings take their leader's cached prompt (and its prompt log-probabilities); one
            // whose leader was cancelled since planning skips this step and prefills later.
            for fork in planned.forks {
                guard var target = core.sequences[fork.target] else { continue }
                guard let source = core.sequences[fork.source], let sourceCache = source.cache else {
                    unforked.insert(fork.target)
                    continue
                }
                let cache = KVCache(config: engine.config, capacity: target.request.promptTokens.count + target.request.maxNewTokens)
                target.cache = cache
                target.promptLogprobs = source.promptLogprobs
                core.sequences[fork.target] = target
                copies.append((sourceCache, cache, fork.count))
                plan.forks.append(fork)
            }
            for feed in planned.feeds where !unforked.contains(feed.id) {
                guard var sequence = core.sequences[feed.id] else { continue }
                if sequence.started == nil {
                    sequence.started = .now
                    core.sequences[feed.id] = sequence
                }
                let cache: KVCache
                if let existing = sequence.cache {
                    cache = existing
                } else {
                    cache = KVCache(config: engine.config, capacity: sequence.request.promptTokens.count + sequence.request.maxNewTokens)
                    sequence.cache = cache
                    core.sequences[feed.id] = sequence
                }
                plan.feeds.append(feed)
                promptTokens += max(0, min(feed.start + feed.count, sequence.request.promptTokens.count) - feed.start)
                let promptLength = sequence.request.promptTokens.count
                var promptRequest: PromptLogprobRequest?
                if let top = sequence.request.promptLogprobs, feed.start < promptLength - 1 {
                    // Positions start ..< end predict prompt tokens start+1 ... end.
                    let end = min(feed.start + feed.count, promptLength - 1)
                    promptRequest = PromptLogprobRequest(
                        next: Array(sequence.request.promptTokens[(feed.start + 1)...end]), top: top)
                }
                promptRequests.append(promptRequest)
                inputs.append(EngineInput(cache: cache, tokens: Array(sequence.tokens[feed.start ..< feed.start + feed.count]),
                                          allLogits: promptRequest != nil))
            }
            return (plan, inputs, promptTokens, promptRequests, copies.map { ($0.from, $0.to, $0.count) })
        }
        // Only the engine loop touches caches, so the copies run outside the lock.
        for (source, target, count) in copies { target.copyPrefix(from: source, count: count) }
        guard !inputs.isEmpty else {
            core.withLock { $0.scheduler.completed(plan) }
            return
        }

        let logits: Matrix
        do {
            logits = try await engine.forward(inputs)
        } catch {
            logger.error("engine step failed", metadata: ["error": "\(error)"])
            fail(plan.feeds.map(\.id), GenerationError.engineFailed("\(error)"), reason: "engine_error")
            return
        }
        metrics.promptTokens(promptTokens)
        metrics.iterationTokens(inputs.reduce(0) { $0 + $1.tokens.count })

        let promptLogprobs = promptEntries(promptRequests)
        let sampled = sample(plan: plan, logits: logits)
        var finished: [(AsyncThrowingStream<GeneratedToken, any Error>.Continuation, GeneratedToken)] = []
        var emitted: [(AsyncThrowingStream<GeneratedToken, any Error>.Continuation, GeneratedToken)] = []
        let now = ContinuousClock.now
        core.withLock { core in
            core.scheduler.completed(plan)
            core.steps += 1
            for (row, entries) in promptLogprobs.enumerated() where !entries.isEmpty {
                core.sequences[plan.feeds[row].id]?.promptLogprobs.append(contentsOf: entries)
            }
            for (row, feed) in plan.feeds.enumerated() where feed.samples {
                guard var sequence = core.sequences[feed.id], var token = sampled[row] else { continue }
                if sequence.generated == 0 && sequence.request.promptLogprobs != nil {
                    // Kept: siblings that fork later copy them.
                    token.promptLogprobs = sequence.promptLogprobs
                }
                sequence.generated += 1
                sequence.tokens.append(token.token)
                if sequence.generated == 1 {
                    sequence.firstToken = now
                    metrics.timeToFirstToken((now - sequence.arrival).seconds)
                } else if let last = sequence.lastToken {
                    metrics.interTokenLatency((now - last).seconds)
                }
                sequence.lastToken = now
                if sequence.request.stopTokenIDs.contains(token.token) {
                    token.finishReason = .stop
                } else if sequence.generated >= sequence.request.maxNewTokens {
                    token.finishReason = .length
                }
                if let reason = token.finishReason {
                    core.sequences[feed.id] = nil
                    core.scheduler.finish(feed.id)
                    metrics.endToEndLatency((now - sequence.arrival).seconds)
                    let started = sequence.started ?? sequence.arrival
                    let first = sequence.firstToken ?? now
                    metrics.requestDone(queue: (started - sequence.arrival).seconds, prefill: (first - started).seconds,
                                        decode: (now - first).seconds, promptTokens: sequence.request.promptTokens.count,
                                        generationTokens: sequence.generated)
                    metrics.requestFinished(reason)
                    finished.append((sequence.continuation, token))
                } else {
                    core.scheduler.appendToken(feed.id)
                    core.sequences[feed.id] = sequence
                    emitted.append((sequence.continuation, token))
                }
            }
        }
        metrics.generationTokens(finished.count + emitted.count)
        for (continuation, token) in emitted { continuation.yield(token) }
        for (continuation, token) in finished {
            continuation.yield(token)
            continuation.finish()
        }
    }

    /// The prompt tokens whose log-probabilities one input of a step computes.
    struct PromptLogprobRequest {
        /// The prompt tokens its positions predict, in order.
        var next: [Int32]
        var top: Int
    }

    /// Each input's prompt log-probabilities from the engine's per-position logits (rows of
    /// different inputs computed concurrently).
    private func promptEntries(_ requests: [PromptLogprobRequest?]) -> [[PromptTokenLogprob]] {
        guard requests.contains(where: { $0 != nil }) else { return [] }
        let rows = engine.positionLogitRows
        let matrix = engine.positionLogits
        let vocab = matrix.cols
        var jobs: [(input: Int, offset: Int, row: Int)] = []
        for (input, request) in requests.enumerated() {
            guard let request, let first = rows[input] else { continue }
            for offset in request.next.indices { jobs.append((input, offset, first + offset)) }
        }
        var results = requests.map { request in
            [PromptTokenLogprob](repeating: PromptTokenLogprob(token: 0, logprob: 0, rank: 0, topLogprobs: []),
                                 count: request?.next.count ?? 0)
        }
        var flat = [PromptTokenLogprob?](repeating: nil, count: jobs.count)
        flat.withUnsafeMutableBufferPointer { flat in
            ParallelFor.run(count: jobs.count) { index, _ in
                let job = jobs[index]
                let request = requests[job.input]!
                let row = UnsafeBufferPointer(start: matrix.row(job.row), count: vocab)
                flat[index] = TopLogprobs.prompt(row, token: request.next[job.offset], count: request.top)
            }
        }
        for (index, job) in jobs.enumerated() { results[job.input][job.offset] = flat[index]! }
        return results
    }

    /// The token each sampling row of `plan` draws (nil for rows that do not sample, or whose
    /// sequence is gone), rows sampled concurrently outside the lock: a step's 64 rows over a
    /// 32000-entry vocabulary are otherwise a serial stretch of every step.
    private func sample(plan: Scheduler.StepPlan, logits: Matrix) -> [GeneratedToken?] {
        let samplers = core.withLock { core in
            plan.feeds.map { feed -> (SamplerSlot, Int)? in
                guard feed.samples, let sequence = core.sequences[feed.id] else { return nil }
                return (sequence.sampler, sequence.request.topLogprobs ?? 0)
            }
        }
        var tokens = [GeneratedToken?](repeating: nil, count: samplers.count)
        let vocab = logits.cols
        tokens.withUnsafeMutableBufferPointer { tokens in
            let rowsPerClaim = 8
            ParallelFor.run(count: (samplers.count + rowsPerClaim - 1) / rowsPerClaim) { chunk, _ in
                for row in (chunk * rowsPerClaim)..<min(samplers.count, (chunk + 1) * rowsPerClaim) {
                    guard let (slot, top) = samplers[row] else { continue }
                    let rowLogits = UnsafeBufferPointer(start: logits.row(row), count: vocab)
                    let drawn = slot.sampler.sample(logits: rowLogits)
                    var token = GeneratedToken(token: drawn.token, logprob: drawn.logprob, topLogprobs: [], finishReason: nil)
                    if top > 0 {
                        token.topLogprobs = TopLogprobs.top(rowLogits, count: top, logSumExp: drawn.logSumExp)
                    }
                    tokens[row] = token
                }
            }
        }
        return tokens
    }

    private func fail(_ ids: [SequenceID], _ error: GenerationError, reason: String) {
        let continuations = core.withLock { core in
            ids.compactMap { id -> AsyncThrowingStream<GeneratedToken, any Error>.Continuation? in
                core.scheduler.finish(id)
                return core.sequences.removeValue(forKey: id)?.continuation
            }
        }
        for continuation in continuations {
            metrics.requestFailed(reason)
            continuation.finish(throwing: error)
        }
    }

    private func failAll(_ error: GenerationError, reason: String) {
        let ids = core.withLock { Array($0.sequences.keys) }
        fail(ids, error, reason: reason)
    }

    private func registerGauges() {
        metrics.registry.gauge("switchyard_num_requests_running", help: "Sequences running (holding KV cache).") { [weak self] in
            Double(self?.core.withLock { $0.scheduler.runningCount } ?? 0)
        }
        metrics.registry.gauge("switchyard_num_requests_waiting", help: "Sequences waiting for admission.") { [weak self] in
            Double(self?.core.withLock { $0.scheduler.waitingCount } ?? 0)
        }
        metrics.registry.gauge("switchyard_kv_cache_usage_perc", help: "Fraction of the KV cache budget reserved, 0 to 1.") { [weak self] in
            self?.core.withLock { $0.scheduler.kvUsage } ?? 0
        }
        metrics.registry.gauge("switchyard_kv_cache_capacity_tokens", help: "KV cache budget in tokens.") { [limits = configuration.limits] in
            Double(limits.kvCapacityTokens)
        }
    }
}

/// A submitted sequence: its tokens as they are generated, and a way to cancel it.
public struct GenerationHandle: Sendable {
    public let id: SequenceID
    public let tokens: AsyncThrowingStream<GeneratedToken, any Error>
    let service: EngineService

    /// Stops generating and frees the sequence's cache (idempotent).
    public func cancel() { service.cancel(id) }
}
