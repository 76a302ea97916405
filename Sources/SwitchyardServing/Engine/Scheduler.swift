/// Identifies one sequence (one completion choice) inside the engine.
public struct SequenceID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public static func < (a: SequenceID, b: SequenceID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "seq-\(rawValue)" }
}

/// Limits that shape every engine step.
public struct SchedulerLimits: Sendable, Equatable {
    /// Most tokens fed to the engine in one step (decodes plus prefill chunks).
    public var maxBatchTokens: Int
    /// Most sequences running (holding a KV cache) at once.
    public var maxRunningSequences: Int
    /// KV cache budget in tokens, over all running sequences.
    public var kvCapacityTokens: Int
    /// Most requests waiting for admission; past it new requests are refused (HTTP 429).
    public var maxWaiting: Int

    public init(maxBatchTokens: Int = 512, maxRunningSequences: Int = 64, kvCapacityTokens: Int, maxWaiting: Int = 1024) {
        self.maxBatchTokens = max(1, maxBatchTokens)
        self.maxRunningSequences = max(1, maxRunningSequences)
        self.kvCapacityTokens = max(1, kvCapacityTokens)
        self.maxWaiting = max(0, maxWaiting)
    }
}

/// Continuous batching as a pure state machine: which sequences run, which wait, and what each
/// engine step feeds. It owns no tensors and does no I/O; `EngineService` performs its plans.
///
/// * Admission is first come, first served. A sequence reserves `prompt + maxNewTokens` KV slots
///   when admitted, so a running sequence can never run out of cache; one that does not fit waits.
/// * Each step first gives every running sequence whose prompt is done one decode token, then
///   fills the rest of the token budget with prefill chunks, oldest first. Long prompts are thus
///   chunked and never stall the decodes of others.
/// * A sequence whose fed tokens reach its known tokens after a step needs sampling; the caller then
///   reports `appendToken` (one more known token) or `finish`.
public struct Scheduler: Sendable {
    /// Why a submission was not queued.
    public enum Rejection: Error, Equatable, Sendable {
        /// The waiting queue is full.
        case queueFull(limit: Int)
        /// The sequence could never fit the KV cache budget, even alone.
        case exceedsCapacity(needed: Int, capacity: Int)
        /// The same id is already known.
        case duplicate
    }

    /// One sequence's slice of a step: feed tokens `start ..< start + count` of its token list.
    public struct Feed: Equatable, Sendable {
        public var id: SequenceID
        public var start: Int
        public var count: Int
        /// True when this feed reaches the sequence's last known token, so its logits are sampled.
        public var samples: Bool
    }

    /// What one engine step runs, and which sequences were admitted just before it.
    public struct StepPlan: Equatable, Sendable {
        public var admitted: [SequenceID] = []
        public var feeds: [Feed] = []
        public var tokenCount: Int { feeds.reduce(0) { $0 + $1.count } }
        public var isEmpty: Bool { feeds.isEmpty }
    }

    struct Sequence: Sendable {
        var id: SequenceID
        /// Tokens known: prompt plus sampled ones.
        var known: Int
        /// Tokens already fed to the engine (in the KV cache).
        var fed: Int
        /// KV slots reserved: prompt + max new tokens.
        var reserved: Int
    }

    public private(set) var limits: SchedulerLimits
    private var waiting: [Sequence] = []
    private var running: [Sequence] = []
    public private(set) var reservedTokens = 0

    public init(limits: SchedulerLimits) {
        self.limits = limits
    }

    public var waitingCount: Int { waiting.count }
    public var runningCount: Int { running.count }
    public var isIdle: Bool { waiting.isEmpty && running.isEmpty }
    /// Fraction of the KV budget reserved by running sequences, 0...1.
    public var kvUsage: Double { Double(reservedTokens) / Double(limits.kvCapacityTokens) }

    /// Queues a sequence with `promptLength` known tokens that may grow by `maxNewTokens`.
    public mutating func submit(_ id: SequenceID, promptLength: Int, maxNewTokens: Int) -> Rejection? {
        precondition(promptLength > 0 && maxNewTokens >= 0, "a sequence needs a prompt")
        if contains(id) { return .duplicate }
        let needed = promptLength + maxNewTokens
        if needed > limits.kvCapacityTokens {
            return .exceedsCapacity(needed: needed, capacity: limits.kvCapacityTokens)
        }
        if waiting.count >= limits.maxWaiting { return .queueFull(limit: limits.maxWaiting) }
        waiting.append(Sequence(id: id, known: promptLength, fed: 0, reserved: needed))
        return nil
    }

    /// Whether the scheduler knows this id (waiting or running).
    public func contains(_ id: SequenceID) -> Bool {
        waiting.contains { $0.id == id } || running.contains { $0.id == id }
    }

    /// Whether this id holds a KV reservation.
    public func isRunning(_ id: SequenceID) -> Bool {
        running.contains { $0.id == id }
    }

    /// Admits waiting sequences that fit, then plans the next step.
    public mutating func nextStep() -> StepPlan {
        var plan = StepPlan()
        while let next = waiting.first,
              running.count < limits.maxRunningSequences,
              reservedTokens + next.reserved <= limits.kvCapacityTokens {
            waiting.removeFirst()
            running.append(next)
            reservedTokens += next.reserved
            plan.admitted.append(next.id)
        }

        var budget = limits.maxBatchTokens
        // Decodes first: every sequence whose prompt is fed gets its one new token.
        for sequence in running where sequence.fed > 0 && sequence.known - sequence.fed == 1 {
            guard budget > 0 else { break }
            plan.feeds.append(Feed(id: sequence.id, start: sequence.fed, count: 1, samples: true))
            budget -= 1
        }
        // Then prefill chunks, oldest first.
        for sequence in running where sequence.fed == 0 || sequence.known - sequence.fed > 1 {
            guard budget > 0 else { break }
            let remaining = sequence.known - sequence.fed
            guard remaining > 0 else { continue }
            let count = min(remaining, budget)
            plan.feeds.append(Feed(id: sequence.id, start: sequence.fed, count: count, samples: count == remaining))
            budget -= count
        }
        return plan
    }

    /// Records that a planned step ran: each feed's tokens are now in its sequence's cache.
    public mutating func completed(_ plan: StepPlan) {
        for feed in plan.feeds {
            guard let index = running.firstIndex(where: { $0.id == feed.id }) else { continue }
            precondition(running[index].fed == feed.start, "step results reported out of order")
            running[index].fed += feed.count
        }
    }

    /// Records one sampled token for a running sequence (it is fed in a later step).
    public mutating func appendToken(_ id: SequenceID) {
        guard let index = running.firstIndex(where: { $0.id == id }) else { return }
        precondition(running[index].known < running[index].reserved, "sequence grew past its reservation")
        running[index].known += 1
    }

    /// Removes a sequence (finished, failed or cancelled), freeing its reservation.
    /// Returns false when the id was unknown.
    @discardableResult
    public mutating func finish(_ id: SequenceID) -> Bool {
        if let index = running.firstIndex(where: { $0.id == id }) {
            reservedTokens -= running[index].reserved
            running.remove(at: index)
            return true
        }
        if let index = waiting.firstIndex(where: { $0.id == id }) {
            waiting.remove(at: index)
            return true
        }
        return false
    }

    /// The ids of every sequence, waiting or running.
    public var allIDs: [SequenceID] { running.map(\.id) + waiting.map(\.id) }
}
