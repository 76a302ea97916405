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
/// * Siblings (`n` and `best_of` choices of one prompt, `submit(siblings:)`) compute their prompt
///   once: the first one, the leader, prefills all but the prompt's last token; then, in one step,
///   the admitted siblings fork (copy) those cached positions and all of them feed the last
///   prompt token, each sampling its own first token. Siblings admitted later, or beyond that
///   step's token budget, fork in a later step; one whose leader is gone prefills the prompt itself.
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

    /// A sibling's cache takes the first `count` cached positions of its leader's before the step.
    public struct Fork: Equatable, Sendable {
        public var source: SequenceID
        public var target: SequenceID
        public var count: Int
    }

    /// What one engine step runs, and which sequences were admitted just before it.
    public struct StepPlan: Equatable, Sendable {
        public var admitted: [SequenceID] = []
        /// Cache copies to make before the step runs (in order).
        public var forks: [Fork] = []
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
        /// Prompt length (the tokens known at submission).
        var prompt: Int
        /// The sibling whose prompt this one copies, until it forks (then nil).
        var leader: SequenceID?
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
        waiting.append(Sequence(id: id, known: promptLength, fed: 0, reserved: needed, prompt: promptLength))
        return nil
    }

    /// Queues sequences that share one prompt (the choices of one request), all or none. The first
    /// computes the prompt; the others copy its cache (see the type's notes). With a one-token
    /// prompt there is nothing to share and they run as independent sequences.
    public mutating func submit(siblings ids: [SequenceID], promptLength: Int, maxNewTokens: Int) -> Rejection? {
        precondition(!ids.isEmpty && promptLength > 0 && maxNewTokens >= 0, "siblings need a prompt")
        if Set(ids).count != ids.count || ids.contains(where: contains) { return .duplicate }
        let needed = promptLength + maxNewTokens
        if needed > limits.kvCapacityTokens {
            return .exceedsCapacity(needed: needed, capacity: limits.kvCapacityTokens)
        }
        if waiting.count + ids.count > limits.maxWaiting { return .queueFull(limit: limits.maxWaiting) }
        let leader = promptLength > 1 ? ids[0] : nil
        for (index, id) in ids.enumerated() {
            waiting.append(Sequence(id: id, known: promptLength, fed: 0, reserved: needed, prompt: promptLength,
                                    leader: index == 0 ? nil : leader))
        }
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

        releaseOrphanedSiblings()
        var budget = limits.maxBatchTokens
        // Forks first (a token per sibling, like a decode, so decodes never starve them): a leader
        // whose prompt (all but its last token) is cached hands it to its admitted siblings, who
        // feed that last token. The first forks come in the step where the leader feeds its own
        // last token; siblings the budget could not take fork in later steps, while the leader
        // lives (its cached prompt never changes).
        var forked: Set<SequenceID> = []
        for leader in running where leader.leader == nil && leader.fed >= leader.prompt - 1 && hasSiblings(leader) {
            let holding = awaitsFork(leader)
            let room = budget - (holding ? 1 : 0)
            guard budget > 0, room > 0 || (holding && limits.maxBatchTokens < 2) else { continue }
            let group = running.filter { $0.leader == leader.id }.prefix(max(0, room))
            for sibling in group {
                plan.forks.append(Fork(source: leader.id, target: sibling.id, count: leader.prompt - 1))
                plan.feeds.append(Feed(id: sibling.id, start: leader.prompt - 1, count: 1, samples: true))
                forked.insert(sibling.id)
            }
            if holding {
                plan.feeds.append(Feed(id: leader.id, start: leader.fed, count: 1, samples: true))
                forked.insert(leader.id)
            }
            budget -= group.count + (holding ? 1 : 0)
        }
        // Then decodes: every sequence whose prompt is fed gets its one new token.
        for sequence in running where sequence.fed > 0 && sequence.known - sequence.fed == 1 && !awaitsFork(sequence) {
            guard budget > 0 else { break }
            plan.feeds.append(Feed(id: sequence.id, start: sequence.fed, count: 1, samples: true))
            budget -= 1
        }
        // Then prefill chunks, oldest first. A leader with admitted siblings stops one token short
        // of its prompt, and siblings wait for their leader.
        for sequence in running where (sequence.fed == 0 || sequence.known - sequence.fed > 1) && !forked.contains(sequence.id) {
            guard budget > 0, sequence.leader == nil else { continue }
            let end = hasSiblings(sequence) ? sequence.prompt - 1 : sequence.known
            let remaining = end - sequence.fed
            guard remaining > 0 else { continue }
            let count = min(remaining, budget)
            plan.feeds.append(Feed(id: sequence.id, start: sequence.fed, count: count, samples: count == sequence.known - sequence.fed))
            budget -= count
        }
        return plan
    }

    /// Whether admitted siblings wait for this sequence's prompt.
    private func hasSiblings(_ sequence: Sequence) -> Bool {
        running.contains { $0.leader == sequence.id }
    }

    /// Whether this leader has cached all but its prompt's last token and admitted siblings wait.
    private func awaitsFork(_ sequence: Sequence) -> Bool {
        sequence.leader == nil && sequence.known == sequence.prompt && sequence.fed == sequence.prompt - 1 && hasSiblings(sequence)
    }

    /// Siblings whose leader is gone prefill the prompt themselves.
    private mutating func releaseOrphanedSiblings() {
        for index in running.indices {
            guard let leaderID = running[index].leader else { continue }
            if running.contains(where: { $0.id == leaderID }) || waiting.contains(where: { $0.id == leaderID }) { continue }
            running[index].leader = nil
        }
    }

    /// Records that a planned step ran: each feed's tokens are now in its sequence's cache.
    public mutating func completed(_ plan: StepPlan) {
        for fork in plan.forks {
            guard let index = running.firstIndex(where: { $0.id == fork.target }) else { continue }
            precondition(running[index].fed == 0, "a sibling forks before it has fed anything")
            running[index].fed = fork.count
            running[index].leader = nil
        }
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
