import SwitchyardModel

/// The router's view of its workers as a pure state machine: who is registered and alive, what
/// each holds (acknowledged) and should hold (placement target), and which messages to send.
///
/// Placement changes are made safe in two phases: new holders are told to load and only after
/// they acknowledge does routing use them and are the previous holders told to drop. Between the
/// two, a key stays routed to its old holder, so no dispatch finds a key without a holder
/// because of a rebalance. Liveness follows the Paranoid Pirate pattern: a worker silent for
/// `liveness` heartbeat intervals is dead.
///
/// A graceful drain (the worker asked, or an admin call) marks a worker draining: placement gives
/// it nothing, its keys are loaded elsewhere with the same two phases, it is told to drop each key
/// once enough others hold it, and once it holds nothing and acknowledged that, it is released
/// (`Action.released`) and leaves the registry. Until then it serves what it still holds, so a
/// drain never makes a key missing; if no other worker can take a key, the drain waits.
///
/// The shell (`ClusterService`) feeds events with the current time and performs the actions.
public struct WorkerRegistry: Sendable {
    public struct Configuration: Sendable, Equatable {
        public var heartbeatInterval: Duration
        public var liveness: Int
        public var replicas: Int
        /// Missed dispatch deadlines after which a suspect worker is evicted.
        public var evictAfterMisses: Int
        /// How long a worker may stay suspect before it is evicted (nil: only misses count).
        public var suspectGrace: Duration?
        /// When set, a registration does not replan at once: the next `tick` at least this long
        /// after the first of a burst of joins replans once for all of them.
        public var placementBatch: Duration?
        /// How long departed workers stay listed (by their last message); nil keeps the last
        /// `departedKept` forever.
        public var departedTTL: Duration?

        public init(heartbeatInterval: Duration = .seconds(1), liveness: Int = 3, replicas: Int = 1, evictAfterMisses: Int = 3,
                    suspectGrace: Duration? = nil, placementBatch: Duration? = nil, departedTTL: Duration? = nil) {
            self.placementBatch = placementBatch
            self.departedTTL = departedTTL
            self.heartbeatInterval = heartbeatInterval
            self.liveness = max(1, liveness)
            self.replicas = max(1, replicas)
            self.evictAfterMisses = max(1, evictAfterMisses)
            self.suspectGrace = suspectGrace
        }
    }

    /// One registered worker.
    public struct Worker: Sendable, Equatable {
        public var id: String
        public var routingID: [UInt8]
        public var pinned: Set<Int>?
        public var lastHeard: ContinuousClock.Instant
        /// Keys the worker acknowledged holding; routing uses these.
        public var held: Set<ExpertKey>
        /// Keys placement wants it to hold.
        public var target: Set<ExpertKey>
        /// The version of the last assignment sent and not yet acknowledged.
        public var awaitingVersion: UInt64?
        /// Dispatches the worker reported queued or running.
        public var queuedDispatches: Int
        /// Bytes of expert weights resident, as the worker reported.
        public var residentBytes: UInt64
        /// Keys told to drop whose acknowledgement has not arrived; an older ack still lists them.
        public var pendingDrops: Set<ExpertKey> = []
        /// Version of the last drop assignment.
        public var lastDropVersion: UInt64 = 0
        /// Being drained: placement gives it nothing; released once it holds nothing.
        public var draining = false
        /// Set once the worker missed a dispatch deadline: routing avoids it, placement gives it
        /// nothing, and it is evicted after more misses or `suspectGrace`.
        public var suspicion: Suspicion?
    }

    /// Why and since when a worker is suspect (a gray failure: alive, but not answering).
    public struct Suspicion: Sendable, Equatable {
        public var reason: String
        public var since: ContinuousClock.Instant
        public var misses: Int
    }

    /// A worker that is no longer registered, kept for status pages.
    public struct Departed: Sendable, Equatable {
        public enum Cause: String, Sendable, Equatable {
            /// Silent too long, or its socket failed.
            case dead
            /// It said goodbye (Disconnect) or was released after a drain.
            case left
            /// Told to leave after it kept missing dispatch deadlines.
            case evicted
        }
        public var id: String
        public var cause: Cause
        public var reason: String
        public var lastHeard: ContinuousClock.Instant
    }

    /// How many departed workers status keeps (the most recent).
    public static let departedKept = 16

    /// Why a registration was refused.
    public enum RefusalReason: Sendable, Equatable {
        case badPin(String)
        case duplicateID(String)
    }

    /// What the shell must do.
    public enum Action: Sendable, Equatable {
        /// Accept the registration of this worker.
        case welcome(workerID: String)
        /// Refuse a registration (sent to the routing id that asked).
        case refuse(routingID: [UInt8], RefusalReason)
        /// Tell a worker to load and drop experts; it acknowledges `version`.
        case assign(workerID: String, version: UInt64, load: [ExpertKey], drop: [ExpertKey])
        /// Send a heartbeat to this worker.
        case heartbeat(workerID: String)
        /// A worker was declared dead (silence) or left; fail what is in flight to it.
        case workerLost(workerID: String, reason: String)
        /// The routing table changed (shells refresh snapshots).
        case routingChanged
        /// A drain of this worker began: tell it (it then stops on its own deadline if the drain stalls).
        case drainStarted(workerID: String, reason: String)
        /// A drained worker holds nothing and nothing routes to it: tell it to go. It has left the
        /// registry; anything still in flight to it must be re-sent.
        case released(workerID: String, routingID: [UInt8])
        /// A worker missed a dispatch deadline: routing now avoids it (log it; status shows it).
        case suspected(workerID: String, reason: String)
        /// A suspect worker is evicted: tell it to leave. It has left the registry (a
        /// `workerLost` follows) and may register again later.
        case evicted(workerID: String, routingID: [UInt8], reason: String)
    }

    public let keys: [ExpertKey]
    public let configuration: Configuration
    public private(set) var workers: [String: Worker] = [:]
    public private(set) var placementVersion: UInt64 = 0
    /// Workers that left or died, most recent last, at most `departedKept`.
    public private(set) var departed: [Departed] = []
    private var lastHeartbeatSent: ContinuousClock.Instant?
    /// When a batched replan is due (joins arrived since the last one).
    private var replanDue: ContinuousClock.Instant?
    /// Drops sent to workers that then died or left, unacknowledged, by the process (routing id)
    /// they were sent to: if that process comes back reporting those keys, its report may predate
    /// the drop it is still to apply. Kept by process, not worker id: another process registering
    /// the id in between (it never got the drop) and acknowledging newer assignments settles
    /// nothing for the first one (the control fuzzer found that).
    private var departedPendingDrops: [[UInt8]: Set<ExpertKey>] = [:]
    private let validExperts: Set<Int>

    public init(keys: [ExpertKey], configuration: Configuration = Configuration()) {
        self.keys = keys.sorted()
        self.configuration = configuration
        self.validExperts = Set(keys.map(\.expert))
    }

    // MARK: Queries

    /// Alive holders of each key, by worker id, sorted.
    /// Suspect workers are left out. Rebuilt when membership, holdings or suspicion change (not
    /// per read: the engine reads it on every layer call).
    public private(set) var routing: [ExpertKey: [String]] = [:]

    private mutating func refreshRouting() {
        var table: [ExpertKey: [String]] = [:]
        for worker in workers.values where worker.suspicion == nil {
            for key in worker.held { table[key, default: []].append(worker.id) }
        }
        for key in table.keys { table[key]!.sort() }
        routing = table
    }

    /// Keys no worker holds (acknowledged).
    public var missing: [ExpertKey] {
        let table = routing
        return keys.filter { table[$0] == nil }
    }

    /// Ready to serve: every key has a holder.
    public var isComplete: Bool { missing.isEmpty }

    /// The worker with this routing id.
    public func worker(routingID: [UInt8]) -> Worker? {
        workers.values.first { $0.routingID == routingID }
    }

    // MARK: Events

    /// A worker says hello (first time, after its restart, or after the router's).
    public mutating func register(id: String, routingID: [UInt8], pinned: Set<Int>?, held: Set<ExpertKey>, now: ContinuousClock.Instant) -> [Action] {
        defer { refreshRouting() }
        if let pinned {
            let unknown = pinned.subtracting(validExperts)
            if !unknown.isEmpty {
                return [.refuse(routingID: routingID, .badPin("expert ids \(ExpertSpec(ids: unknown)) do not exist in this model (it has \(ExpertSpec(ids: validExperts)))"))]
            }
        }
        if let other = workers.values.first(where: { $0.routingID == routingID && $0.id != id }) {
            return [.refuse(routingID: routingID, .duplicateID("this connection is registered as `\(other.id)` already"))]
        }
        if let existing = workers[id], existing.routingID != routingID {
            return [.refuse(routingID: routingID, .duplicateID("a live worker already registered as `\(id)`"))]
        }
        var actions: [Action] = []
        // The same worker again (it lost the router for a while, or restarted): its report of what
        // it holds may predate drops already sent to it, so those stay excluded.
        let previous = workers[id]
        if previous != nil {
            actions.append(.workerLost(workerID: id, reason: "re-registered"))
        }
        let keySet = Set(keys)
        var worker = Worker(id: id, routingID: routingID, pinned: pinned, lastHeard: now,
                            held: held.intersection(keySet), target: [], awaitingVersion: nil,
                            queuedDispatches: 0, residentBytes: 0)
        if let previous {
            worker.pendingDrops = previous.pendingDrops
            worker.lastDropVersion = previous.lastDropVersion
            worker.draining = previous.draining
        }
        if let departed = departedPendingDrops.removeValue(forKey: routingID) {
            worker.pendingDrops.formUnion(departed)
            worker.lastDropVersion = placementVersion
        }
        worker.held.subtract(worker.pendingDrops)
        workers[id] = worker
        departed.removeAll { $0.id == id }
        actions.append(.welcome(workerID: id))
        if let batch = configuration.placementBatch {
            replanDue = replanDue ?? now + batch
        } else {
            actions += replan()
        }
        actions.append(.routingChanged)
        return actions
    }

    /// A worker applied an assignment; `loaded` is everything it now holds.
    public mutating func acknowledged(id: String, version: UInt64, loaded: Set<ExpertKey>, residentBytes: UInt64, now: ContinuousClock.Instant) -> [Action] {
        defer { refreshRouting() }
        guard var worker = workers[id] else { return [] }
        worker.lastHeard = now
        worker.residentBytes = residentBytes
        // An ack older than the last drop still lists the dropped keys: never route to them again.
        if version >= worker.lastDropVersion { worker.pendingDrops = [] }
        worker.held = loaded.intersection(Set(keys)).subtracting(worker.pendingDrops)
        if worker.awaitingVersion == version { worker.awaitingVersion = nil }
        workers[id] = worker
        var actions = releaseDrops()
        actions.append(.routingChanged)
        return actions + releaseDrained()
    }

    /// Starts a graceful drain of a worker (its own request or an admin call). Nil when no such
    /// worker is registered; a worker already draining gets no second start.
    public mutating func drain(id: String, reason: String, now: ContinuousClock.Instant) -> [Action]? {
        defer { refreshRouting() }
        guard let worker = workers[id] else { return nil }
        guard !worker.draining else { return [] }
        workers[id]!.draining = true
        workers[id]!.lastHeard = max(worker.lastHeard, now)
        var actions: [Action] = [.drainStarted(workerID: id, reason: reason)]
        actions += replan()
        actions.append(.routingChanged)
        return actions + releaseDrained()
    }

    /// Any message from a worker proves it alive.
    public mutating func heard(id: String, queuedDispatches: Int? = nil, now: ContinuousClock.Instant) {
        guard workers[id] != nil else { return }
        workers[id]!.lastHeard = now
        if let queuedDispatches { workers[id]!.queuedDispatches = queuedDispatches }
    }

    /// A worker left on purpose (Disconnect).
    public mutating func disconnected(id: String, reason: String) -> [Action] {
        defer { refreshRouting() }
        guard let gone = workers.removeValue(forKey: id) else { return [] }
        remember(gone, cause: .left, reason: reason)
        return [.workerLost(workerID: id, reason: reason)] + replan() + [.routingChanged] + releaseDrained()
    }

    /// Time passes: send heartbeats when due, declare silent workers dead.
    public mutating func tick(now: ContinuousClock.Instant) -> [Action] {
        defer { refreshRouting() }
        var actions: [Action] = []
        let deadline = configuration.heartbeatInterval * configuration.liveness
        let dead = workers.values.filter { now - $0.lastHeard > deadline }.map(\.id).sorted()
        for id in dead {
            let reason = "silent for \(configuration.liveness) heartbeat intervals"
            if let gone = workers.removeValue(forKey: id) { remember(gone, cause: .dead, reason: reason) }
            actions.append(.workerLost(workerID: id, reason: reason))
        }
        if let grace = configuration.suspectGrace {
            let overdue = workers.values.filter { $0.suspicion.map { now - $0.since >= grace } ?? false }.map(\.id).sorted()
            for id in overdue {
                let misses = workers[id]!.suspicion!.misses
                actions += evict(id, reason: "suspect for \(grace) after missing \(misses) dispatch deadline\(misses == 1 ? "" : "s")")
            }
        }
        if let ttl = configuration.departedTTL {
            departed.removeAll { now - $0.lastHeard > ttl }
        }
        if !dead.isEmpty || replanDue.map({ now >= $0 }) == true {
            actions += replan()
            actions.append(.routingChanged)
            actions += releaseDrained()
        }
        if lastHeartbeatSent.map({ now - $0 >= configuration.heartbeatInterval }) ?? true {
            lastHeartbeatSent = now
            actions += workers.keys.sorted().map { .heartbeat(workerID: $0) }
        }
        return actions
    }

    /// When the next `tick` has something to do.
    public func nextDeadline(after now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        var next = (lastHeartbeatSent ?? now) + configuration.heartbeatInterval
        let deadline = configuration.heartbeatInterval * configuration.liveness
        for worker in workers.values { next = min(next, worker.lastHeard + deadline) }
        return max(next, now)
    }

    /// Declares a worker dead now, whatever its heartbeats said (its socket failed).
    public mutating func lost(id: String, reason: String) -> [Action] {
        defer { refreshRouting() }
        guard let gone = workers.removeValue(forKey: id) else { return [] }
        remember(gone, cause: .dead, reason: reason)
        return [.workerLost(workerID: id, reason: reason)] + replan() + [.routingChanged] + releaseDrained()
    }

    /// A worker let a dispatch pass its deadline: suspect at once (routing avoids it, its keys are
    /// loaded elsewhere), evicted after `evictAfterMisses`.
    public mutating func missedDeadline(id: String, now: ContinuousClock.Instant) -> [Action] {
        defer { refreshRouting() }
        guard var worker = workers[id] else { return [] }
        let first = worker.suspicion == nil
        let misses = (worker.suspicion?.misses ?? 0) + 1
        let reason = "missed \(misses) dispatch deadline\(misses == 1 ? "" : "s")"
        worker.suspicion = Suspicion(reason: reason, since: worker.suspicion?.since ?? now, misses: misses)
        workers[id] = worker
        if misses >= configuration.evictAfterMisses { return evict(id, reason: "evicted: \(reason)") }
        guard first else { return [] }
        return [.suspected(workerID: id, reason: reason)] + replan() + [.routingChanged] + releaseDrained()
    }

    /// Removes a suspect worker and reassigns its keys (loaded and acknowledged elsewhere before
    /// routing uses them, as in any rebalance).
    private mutating func evict(_ id: String, reason: String) -> [Action] {
        guard let gone = workers.removeValue(forKey: id) else { return [] }
        remember(gone, cause: .evicted, reason: reason)
        return [.evicted(workerID: id, routingID: gone.routingID, reason: reason), .workerLost(workerID: id, reason: reason)]
            + replan() + [.routingChanged] + releaseDrained()
    }

    private mutating func remember(_ worker: Worker, cause: Departed.Cause, reason: String) {
        if !worker.pendingDrops.isEmpty { departedPendingDrops[worker.routingID, default: []].formUnion(worker.pendingDrops) }
        departed.removeAll { $0.id == worker.id }
        departed.append(Departed(id: worker.id, cause: cause, reason: reason, lastHeard: worker.lastHeard))
        if departed.count > Self.departedKept { departed.removeFirst(departed.count - Self.departedKept) }
    }

    /// Releases draining workers that hold nothing and have acknowledged their last assignment.
    private mutating func releaseDrained() -> [Action] {
        var actions: [Action] = []
        for id in workers.keys.sorted() {
            let worker = workers[id]!
            guard worker.draining, worker.held.isEmpty, worker.awaitingVersion == nil else { continue }
            workers[id] = nil
            remember(worker, cause: .left, reason: "drained")
            actions.append(.released(workerID: id, routingID: worker.routingID))
        }
        if !actions.isEmpty { actions.append(.routingChanged) }
        return actions
    }

    // MARK: Placement

    /// Recomputes targets and asks workers to load what they lack.
    private mutating func replan() -> [Action] {
        replanDue = nil
        let live = workers.values.sorted { $0.id < $1.id }
        let placeable = live.filter { !$0.draining && $0.suspicion == nil }
        let plan = Placement.plan(keys: keys, workers: placeable.map { Placement.Worker(id: $0.id, pinned: $0.pinned) },
                                  replicas: configuration.replicas,
                                  current: workers.mapValues(\.held))
        var actions: [Action] = []
        for worker in live {
            let target = plan[worker.id] ?? []
            workers[worker.id]!.target = target
            let load = target.subtracting(worker.held).sorted()
            if !load.isEmpty {
                placementVersion += 1
                workers[worker.id]!.awaitingVersion = placementVersion
                actions.append(.assign(workerID: worker.id, version: placementVersion, load: load, drop: []))
            }
        }
        return actions + releaseDrops()
    }

    /// Tells workers to drop held keys placement moved away, once every such key has its full
    /// number of other holders (or as many as there are), so routing never loses a key.
    private mutating func releaseDrops() -> [Action] {
        var actions: [Action] = []
        for id in workers.keys.sorted() {
            let worker = workers[id]!
            let surplus = worker.held.subtracting(worker.target)
            guard !surplus.isEmpty else { continue }
            var droppable: [ExpertKey] = []
            for key in surplus.sorted() {
                let others = workers.values.filter { $0.id != id && $0.held.contains(key) && $0.target.contains(key) }.count
                let wanted = workers.values.filter { $0.target.contains(key) }.count
                if others >= max(1, min(configuration.replicas, wanted)) { droppable.append(key) }
            }
            guard !droppable.isEmpty else { continue }
            placementVersion += 1
            workers[id]!.held.subtract(droppable)
            workers[id]!.pendingDrops.formUnion(droppable)
            workers[id]!.lastDropVersion = placementVersion
            workers[id]!.awaitingVersion = placementVersion
            actions.append(.assign(workerID: id, version: placementVersion, load: [], drop: droppable))
        }
        return actions
    }
}
