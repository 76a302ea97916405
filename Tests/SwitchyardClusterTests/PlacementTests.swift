import Testing
import SwitchyardModel
@testable import SwitchyardCluster

@Suite("Placement and expert specs")
struct PlacementTests {
    let keys = (0 ..< 2).flatMap { layer in (0 ..< 8).map { ExpertKey(layer: layer, expert: $0) } }

    @Test func balancesByCount() {
        let plan = Placement.plan(keys: keys, workers: [.init(id: "a"), .init(id: "b"), .init(id: "c")])
        let counts = plan.values.map(\.count).sorted()
        #expect(counts == [5, 5, 6])
        #expect(Set(plan.values.flatMap { $0 }) == Set(keys))
        #expect(plan.values.reduce(0) { $0 + $1.count } == keys.count)
    }

    @Test func pinnedWorkersHoldExactlyTheirPins() {
        let plan = Placement.plan(keys: keys, workers: [.init(id: "p", pinned: [0, 1, 2, 3]), .init(id: "f")])
        #expect(plan["p"] == Set(keys.filter { $0.expert < 4 }))
        #expect(plan["f"] == Set(keys.filter { $0.expert >= 4 }))
        let onlyPinned = Placement.plan(keys: keys, workers: [.init(id: "p", pinned: [7])])
        #expect(keys.filter { key in !onlyPinned.values.contains { $0.contains(key) } }.count == 14)
    }

    @Test func keepsWhatIsHeldWhenAWorkerJoins() {
        let before = Placement.plan(keys: keys, workers: [.init(id: "a"), .init(id: "b")])
        let after = Placement.plan(keys: keys, workers: [.init(id: "a"), .init(id: "b"), .init(id: "c")], current: before)
        let moved = ["a", "b"].reduce(0) { $0 + before[$1]!.subtracting(after[$1]!).count }
        #expect(moved == after["c"]!.count)
        #expect(after["a"]!.isSubset(of: before["a"]!) && after["b"]!.isSubset(of: before["b"]!))
    }

    @Test func replicasPutEachKeyOnDistinctWorkers() {
        let plan = Placement.plan(keys: keys, workers: [.init(id: "a"), .init(id: "b"), .init(id: "c")], replicas: 2)
        for key in keys { #expect(plan.values.filter { $0.contains(key) }.count == 2) }
    }

    @Test func expertSpecsParseAndPrint() throws {
        #expect(try ExpertSpec(parsing: "0-3,7").ids == [0, 1, 2, 3, 7])
        #expect(try ExpertSpec(parsing: " 5 ").ids == [5])
        #expect(ExpertSpec(ids: [0, 1, 2, 5, 7, 8]).description == "0-2,5,7-8")
        for bad in ["", "a", "3-1", "1,,2", "-2", "1-2-3"] {
            #expect(throws: ExpertSpecError.self) { try ExpertSpec(parsing: bad) }
        }
    }
}

@Suite("WorkerRegistry")
struct WorkerRegistryTests {
    let keys = RegistryTestSupport.keys
    let t0 = ContinuousClock.now

    func assignments(_ actions: [WorkerRegistry.Action]) -> [String: (load: [ExpertKey], drop: [ExpertKey], version: UInt64)] {
        RegistryTestSupport.assignments(actions)
    }

    @Test func servesOnlyOnceEveryKeyIsAcknowledged() {
        var registry = WorkerRegistry(keys: keys)
        let actions = registry.register(id: "a", routingID: Array("a".utf8), pinned: nil, held: [], now: t0)
        #expect(actions.contains(.welcome(workerID: "a")))
        let assigned = assignments(actions)["a"]!
        #expect(Set(assigned.load) == Set(keys))
        #expect(!registry.isComplete && registry.missing.count == keys.count)
        _ = registry.acknowledged(id: "a", version: assigned.version, loaded: Set(keys), residentBytes: 10, now: t0)
        #expect(registry.isComplete)
        #expect(registry.routing[keys[0]] == ["a"])
    }

    @Test func aJoiningWorkerTakesHalfAndTheOldHolderDropsOnlyAfterTheAck() {
        var registry = WorkerRegistry(keys: keys)
        let first = assignments(registry.register(id: "a", routingID: [1], pinned: nil, held: [], now: t0))["a"]!
        _ = registry.acknowledged(id: "a", version: first.version, loaded: Set(keys), residentBytes: 0, now: t0)

        let joined = assignments(registry.register(id: "b", routingID: [2], pinned: nil, held: [], now: t0))
        let moving = Set(joined["b"]!.load)
        #expect(moving.count == keys.count / 2)
        #expect(joined["a"] == nil)  // a keeps everything until b has loaded
        #expect(registry.isComplete && registry.routing[moving.first!] == ["a"])

        let afterAck = assignments(registry.acknowledged(id: "b", version: joined["b"]!.version, loaded: moving, residentBytes: 0, now: t0))
        #expect(Set(afterAck["a"]!.drop) == moving)
        #expect(registry.routing[moving.first!] == ["b"])
        // An ack from a that predates the drop must not make the dropped keys routable again.
        _ = registry.acknowledged(id: "a", version: first.version, loaded: Set(keys), residentBytes: 0, now: t0)
        #expect(registry.routing[moving.first!] == ["b"])
        _ = registry.acknowledged(id: "a", version: afterAck["a"]!.version, loaded: Set(keys).subtracting(moving), residentBytes: 0, now: t0)
        #expect(registry.isComplete)
    }

    @Test func silentWorkersDieAfterThreeIntervalsAndTheirKeysGoMissing() {
        var registry = WorkerRegistry(keys: keys, configuration: .init(heartbeatInterval: .milliseconds(100), liveness: 3))
        let p = assignments(registry.register(id: "p", routingID: [1], pinned: [0, 1], held: [], now: t0))["p"]!
        let q = assignments(registry.register(id: "q", routingID: [2], pinned: [2, 3], held: [], now: t0))["q"]!
        _ = registry.acknowledged(id: "p", version: p.version, loaded: Set(p.load), residentBytes: 0, now: t0)
        _ = registry.acknowledged(id: "q", version: q.version, loaded: Set(q.load), residentBytes: 0, now: t0)
        #expect(registry.isComplete)
        registry.heard(id: "p", now: t0 + .milliseconds(250))
        let early = registry.tick(now: t0 + .milliseconds(250))
        #expect(!early.contains { if case .workerLost = $0 { true } else { false } })
        let actions = registry.tick(now: t0 + .milliseconds(320))
        #expect(actions.contains(.workerLost(workerID: "q", reason: "silent for 3 heartbeat intervals")))
        #expect(Set(registry.missing) == Set(keys.filter { $0.expert >= 2 }))
        // q comes back and gets its pins again.
        let again = assignments(registry.register(id: "q", routingID: [2], pinned: [2, 3], held: [], now: t0 + .seconds(1)))["q"]!
        #expect(Set(again.load) == Set(keys.filter { $0.expert >= 2 }))
    }

    @Test func heartbeatsAreDueEveryInterval() {
        var registry = WorkerRegistry(keys: keys, configuration: .init(heartbeatInterval: .milliseconds(100)))
        _ = registry.register(id: "a", routingID: [1], pinned: nil, held: [], now: t0)
        let first = registry.tick(now: t0)
        #expect(first.contains(.heartbeat(workerID: "a")))
        let soon = registry.tick(now: t0 + .milliseconds(50))
        #expect(!soon.contains(.heartbeat(workerID: "a")))
        #expect(registry.nextDeadline(after: t0 + .milliseconds(50)) == t0 + .milliseconds(100))
    }

    @Test func refusesBadPinsAndDuplicateIDs() {
        var registry = WorkerRegistry(keys: keys)
        let bad = registry.register(id: "a", routingID: [1], pinned: [9], held: [], now: t0)
        #expect(bad.count == 1)
        if case .refuse(_, .badPin(let text)) = bad[0] { #expect(text.contains("9")) } else { Issue.record("expected a refusal") }
        _ = registry.register(id: "b", routingID: [2], pinned: nil, held: [], now: t0)
        let duplicate = registry.register(id: "b", routingID: [3], pinned: nil, held: [], now: t0)
        #expect(duplicate == [.refuse(routingID: [3], .duplicateID("a live worker already registered as `b`"))])
    }
}

@Suite("WorkerRegistry re-registration")
struct WorkerRegistryReRegistrationTests {
    @Test func aReRegistrationDoesNotResurrectKeysAlreadyToldToDrop() {
        let keys = (0 ..< 4).map { ExpertKey(layer: 0, expert: $0) }
        let t0 = ContinuousClock.now
        var registry = WorkerRegistry(keys: keys)
        var version: UInt64 = 0
        for case .assign(_, let v, _, _) in registry.register(id: "a", routingID: [1], pinned: nil, held: [], now: t0) { version = v }
        _ = registry.acknowledged(id: "a", version: version, loaded: Set(keys), residentBytes: 0, now: t0)
        var bLoad: [ExpertKey] = []
        for case .assign("b", let v, let load, _) in registry.register(id: "b", routingID: [2], pinned: nil, held: [], now: t0) {
            version = v
            bLoad = load
        }
        _ = registry.acknowledged(id: "b", version: version, loaded: Set(bLoad), residentBytes: 0, now: t0)
        // a was told to drop bLoad; before applying that it re-registers, still reporting everything.
        _ = registry.register(id: "a", routingID: [1], pinned: nil, held: Set(keys), now: t0)
        for key in bLoad { #expect(registry.routing[key] == ["b"], "\(key) routed to \(registry.routing[key] ?? [])") }
    }
}

@Suite("WorkerRegistry after a worker is declared dead")
struct WorkerRegistryDeathTests {
    @Test func aWorkerBackFromTheDeadDoesNotResurrectKeysItWasToldToDrop() {
        let keys = (0 ..< 4).map { ExpertKey(layer: 0, expert: $0) }
        let t0 = ContinuousClock.now
        var registry = WorkerRegistry(keys: keys, configuration: .init(heartbeatInterval: .milliseconds(100)))
        var version: UInt64 = 0
        for case .assign(_, let v, _, _) in registry.register(id: "a", routingID: [1], pinned: nil, held: [], now: t0) { version = v }
        _ = registry.acknowledged(id: "a", version: version, loaded: Set(keys), residentBytes: 0, now: t0)
        var bLoad: [ExpertKey] = []
        for case .assign("b", let v, let load, _) in registry.register(id: "b", routingID: [2], pinned: nil, held: [], now: t0) {
            version = v
            bLoad = load
        }
        _ = registry.acknowledged(id: "b", version: version, loaded: Set(bLoad), residentBytes: 0, now: t0)
        // a goes silent before acknowledging its drop, is declared dead, then comes back.
        registry.heard(id: "b", now: t0 + .milliseconds(350))
        _ = registry.tick(now: t0 + .milliseconds(350))
        #expect(registry.workers["a"] == nil)
        _ = registry.register(id: "a", routingID: [1], pinned: nil, held: Set(keys), now: t0 + .milliseconds(400))
        for key in bLoad { #expect(registry.routing[key] == ["b"], "\(key) routed to \(registry.routing[key] ?? [])") }
    }

    /// The control fuzzer's broken invariant: a drop owed by a dead process was forgotten once
    /// another process registered under its id and acknowledged a newer assignment; the first
    /// process then came back with a report predating that drop, was routed the keys, applied the
    /// drop and left them without a holder.
    @Test func aDropOwedByADeadProcessOutlivesAnotherProcessUnderItsID() throws {
        let keys = RegistryTestSupport.keys
        let t0 = ContinuousClock.now
        var registry = WorkerRegistry(keys: keys, configuration: .init(heartbeatInterval: .milliseconds(100)))
        let first = try #require(RegistryTestSupport.assignments(registry.register(id: "a", routingID: [1], pinned: nil, held: [], now: t0))["a"])
        _ = registry.acknowledged(id: "a", version: first.version, loaded: Set(keys), residentBytes: 0, now: t0)
        let joined = try #require(RegistryTestSupport.assignments(registry.register(id: "b", routingID: [2], pinned: nil, held: [], now: t0))["b"])
        let moving = Set(joined.load)
        let drop = try #require(RegistryTestSupport.assignments(registry.acknowledged(id: "b", version: joined.version, loaded: moving, residentBytes: 0, now: t0))["a"])
        #expect(Set(drop.drop) == moving)
        // Both go silent before a applies its drop; another process registers as a, loads
        // everything, acknowledges (an assignment newer than the drop) and leaves.
        _ = registry.tick(now: t0 + .milliseconds(350))
        #expect(registry.workers.isEmpty)
        let t1 = t0 + .milliseconds(400)
        let other = try #require(RegistryTestSupport.assignments(registry.register(id: "a", routingID: [3], pinned: nil, held: [], now: t1))["a"])
        _ = registry.acknowledged(id: "a", version: other.version, loaded: Set(keys), residentBytes: 0, now: t1)
        _ = registry.disconnected(id: "a", reason: "bye")
        // The first process comes back reporting what it held before the drop it still has to apply.
        let back = RegistryTestSupport.assignments(registry.register(id: "a", routingID: [1], pinned: nil, held: Set(keys), now: t1))["a"]
        for key in moving { #expect(registry.routing[key] == nil, "\(key) routed to a, which still has to drop it") }
        #expect(Set(back?.load ?? [ExpertKey]()) == moving)
        // It applies the drop (an ack older than its re-registration): routing does not change.
        _ = registry.acknowledged(id: "a", version: drop.version, loaded: Set(keys).subtracting(moving), residentBytes: 0, now: t1)
        #expect(registry.missing == keys.filter { moving.contains($0) })
    }
}
