import SwitchyardCluster
import SwitchyardModel

/// The router's control state machines, `WorkerRegistry` and `DispatchTracker`, driven together
/// by a sequence of events read from the input (registrations of up to 4 workers, possibly twice
/// from two processes, acks, heartbeats, goodbyes, losses, drains, time passing, layer calls,
/// replies, errors), wired as `ClusterService` wires them. Simulated workers apply their
/// assignments in order and acknowledge what they really hold. Checked after every event:
/// * routing names only registered, unsuspected workers, and only for keys they really hold;
/// * every dispatch goes to a worker holding all its experts, in-flight rows add up, and a layer
///   call is resumed once;
/// * a registration, ack, heartbeat or drain never leaves a key without a holder that had one.
enum ControlFuzz {
    static let layers = 2
    static let experts = 4
    static let keys = (0 ..< layers).flatMap { layer in (0 ..< experts).map { ExpertKey(layer: layer, expert: $0) } }

    /// Rows for some experts of one layer.
    struct Payload: DispatchPayload {
        var rowsPerExpert: [UInt32: Int]
        var experts: [UInt32] { rowsPerExpert.keys.sorted() }
        var totalRows: Int { rowsPerExpert.values.reduce(0, +) }
        var byteCount: Int { totalRows * 16 }
        func subset(experts wanted: Set<UInt32>) -> Payload? {
            let part = rowsPerExpert.filter { wanted.contains($0.key) }
            return part.isEmpty ? nil : Payload(rowsPerExpert: part)
        }
    }

    /// A worker process as the router cannot see it: what it really holds.
    struct SimulatedWorker {
        var instance: UInt8
        var held: Set<ExpertKey> = []
        /// Assignments sent and not yet applied, in order.
        var queued: [(version: UInt64, load: [ExpertKey], drop: [ExpertKey])] = []
    }

    struct Simulation {
        var registry: WorkerRegistry
        var tracker = DispatchTracker<Payload>(timeout: .seconds(1))
        var now = ContinuousClock.now
        /// Processes by worker id and instance: two processes may claim one id.
        var processes: [String: SimulatedWorker] = [:]
        var resumed: Set<UInt64> = []
        var layerOfCall: [UInt64: Int] = [:]

        init(replicas: Int, batched: Bool, grace: Bool) {
            registry = WorkerRegistry(keys: keys, configuration: .init(
                heartbeatInterval: .milliseconds(250), liveness: 3, replicas: replicas, evictAfterMisses: 3,
                suspectGrace: grace ? .seconds(2) : nil, placementBatch: batched ? .milliseconds(200) : nil,
                departedTTL: .seconds(30)))
        }

        static func routingID(_ id: String, _ instance: UInt8) -> [UInt8] { Array(id.utf8) + [0, instance] }

        /// The process the router knows as `id` (the one whose registration it accepted).
        func registeredProcess(_ id: String) -> String? {
            registry.workers[id].map { "\(id)#\($0.routingID.last!)" }
        }

        mutating func perform(_ actions: [WorkerRegistry.Action]) {
            var lost: [String] = []
            for action in actions {
                switch action {
                case .assign(let id, let version, let load, let drop):
                    if let process = registeredProcess(id) { processes[process]?.queued.append((version, load, drop)) }
                case .workerLost(let id, _):
                    lost.append(id)
                case .released(let id, let routingID), .evicted(let id, let routingID, _):
                    processes["\(id)#\(routingID.last!)"]?.queued = []
                default:
                    break
                }
            }
            for id in lost { apply(tracker.workerGone(id, because: .workerLost(worker: id, reason: "fuzz"), routing: registry.routing, now: now)) }
        }

        mutating func apply(_ actions: [DispatchTracker<Payload>.Action]) {
            var missed: [String] = []
            for action in actions {
                switch action {
                case .send(let send):
                    let holders = send.payload.experts.map { registry.routing[ExpertKey(layer: send.layer, expert: Int($0))] ?? [] }
                    fuzzCheck(holders.allSatisfy { $0.contains(send.worker) },
                              "dispatch \(send.dispatchID) sent to \(send.worker), which does not hold all of \(send.payload.experts)")
                    fuzzCheck(layerOfCall[send.call] == send.layer, "dispatch of call \(send.call) sent for another layer")
                case .resume(let call, _):
                    fuzzCheck(!resumed.contains(call), "call \(call) resumed twice")
                    resumed.insert(call)
                case .missedDeadline(let worker):
                    missed.append(worker)
                }
            }
            for worker in missed { perform(registry.missedDeadline(id: worker, now: now)) }
        }

        func checkInvariants() {
            for (key, holders) in registry.routing {
                for id in holders {
                    guard let worker = registry.workers[id] else {
                        fuzzCheck(false, "routing names \(id), which is not registered")
                        continue
                    }
                    fuzzCheck(worker.suspicion == nil, "routing names suspect \(id)")
                    let process = registeredProcess(id).flatMap { processes[$0] }
                    fuzzCheck(process?.held.contains(key) == true, "routing sends \(key) to \(id), which does not hold it")
                }
            }
            var rows: [String: Int] = [:]
            for dispatch in tracker.dispatches.values {
                rows[dispatch.worker, default: 0] += dispatch.payload.totalRows
                fuzzCheck(tracker.calls[dispatch.call] != nil, "a dispatch outlived its call")
            }
            for (worker, count) in tracker.inFlightRows where count != (rows[worker] ?? 0) {
                fuzzCheck(false, "in-flight rows of \(worker): \(count), dispatches say \(rows[worker] ?? 0)")
            }
        }
    }

    static func run(_ data: [UInt8]) {
        var input = FuzzInput(data)
        let setup = input.byte()
        var sim = Simulation(replicas: 1 + Int(setup & 1), batched: setup & 2 != 0, grace: setup & 4 != 0)
        var events = 0
        while !input.isAtEnd && events < 400 {
            events += 1
            let op = input.byte() % 12
            let id = "w\(input.byte() % 4)"
            let wasComplete = sim.registry.isComplete
            var keepsCompleteness = false
            switch op {
            case 0: // a process registers (a new one, or the same one again)
                let instance = input.byte() % 2
                let key = "\(id)#\(instance)"
                if sim.processes[key] == nil { sim.processes[key] = SimulatedWorker(instance: instance) }
                let pinBits = input.byte()
                let pinned: Set<Int>? = pinBits & 0x80 == 0 ? nil : Set((0 ..< 5).filter { pinBits & (1 << $0) != 0 })
                let process = sim.processes[key]!
                let actions = sim.registry.register(id: id, routingID: Simulation.routingID(id, instance), pinned: pinned,
                                                    held: process.held, now: sim.now)
                sim.perform(actions)
                keepsCompleteness = true
            case 1: // a process applies its next assignment and acknowledges it
                let key = "\(id)#\(input.byte() % 2)"
                guard var process = sim.processes[key], !process.queued.isEmpty else { break }
                let next = process.queued.removeFirst()
                process.held.formUnion(next.load)
                process.held.subtract(next.drop)
                sim.processes[key] = process
                guard sim.registry.workers[id]?.routingID == Simulation.routingID(id, process.instance) else { break }
                sim.perform(sim.registry.acknowledged(id: id, version: next.version, loaded: process.held, residentBytes: 0, now: sim.now))
                keepsCompleteness = true
            case 2:
                sim.registry.heard(id: id, queuedDispatches: Int(input.byte()), now: sim.now)
                keepsCompleteness = true
            case 3:
                if let process = sim.registeredProcess(id) { sim.processes[process] = nil }
                sim.perform(sim.registry.disconnected(id: id, reason: "fuzz"))
            case 4:
                sim.perform(sim.registry.lost(id: id, reason: "fuzz"))
            case 5:
                sim.perform(sim.registry.drain(id: id, reason: "fuzz", now: sim.now) ?? [])
                keepsCompleteness = true
            case 6: // time passes
                sim.now += .milliseconds(Int(input.byte()) * 20)
                sim.perform(sim.registry.tick(now: sim.now))
                sim.apply(sim.tracker.expire(now: sim.now, routing: sim.registry.routing))
            case 7: // a layer call: each chosen expert to its least loaded holder
                let layer = Int(input.byte()) % layers
                let chosenExperts = input.byte()
                var parts: [String: [UInt32: Int]] = [:]
                var missing = false
                for expert in 0 ..< experts where chosenExperts & (1 << expert) != 0 {
                    guard let holders = sim.registry.routing[ExpertKey(layer: layer, expert: expert)], !holders.isEmpty else {
                        missing = true
                        break
                    }
                    let load = sim.tracker.inFlightRows
                    let best = holders.min { (load[$0] ?? 0, $0) < (load[$1] ?? 0, $1) }!
                    parts[best, default: [:]][UInt32(expert)] = 1 + Int(input.byte() % 4)
                }
                guard !missing else { break }
                let call = sim.tracker.open(layer: layer, microBatch: 0)
                sim.layerOfCall[call] = layer
                let list = parts.keys.sorted().map { (worker: $0, payload: Payload(rowsPerExpert: parts[$0]!)) }
                sim.apply(sim.tracker.enqueue(call: call, parts: list, routing: sim.registry.routing, now: sim.now))
            case 8, 9, 10: // a reply (right or wrong worker), an error reply, a stale id
                let ids = sim.tracker.dispatches.keys.sorted()
                let pick = Int(input.byte())
                var dispatchID = ids.isEmpty ? UInt64(pick) : ids[pick % ids.count]
                if op == 10 { dispatchID &+= UInt64(1 + pick) }
                let from = input.bool() ? (sim.tracker.dispatches[dispatchID]?.worker ?? id) : id
                if op == 9 {
                    sim.apply(sim.tracker.failed(dispatchID, from: from, because: .workerFailed(worker: from, message: "fuzz"),
                                                 routing: sim.registry.routing, now: sim.now))
                } else {
                    sim.apply(sim.tracker.answered(dispatchID, from: from))
                }
            default: // the router stops failing everything
                if input.byte() == 0xff { sim.apply(sim.tracker.stop()) }
            }
            sim.checkInvariants()
            if keepsCompleteness && wasComplete {
                fuzzCheck(sim.registry.isComplete, "event \(op) on \(id) left keys \(sim.registry.missing) without a holder")
            }
        }
    }
}
