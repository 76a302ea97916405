import Testing
import SwitchyardModel
@testable import SwitchyardCluster

/// The drain policy of the registry: a draining worker gets nothing new, its keys are loaded
/// elsewhere first, it drops them only once they are, and it is released once it holds nothing.
@Suite("WorkerRegistry drain")
struct DrainTests {
    let keys = RegistryTestSupport.keys
    let t0 = ContinuousClock.now

    func assignments(_ actions: [WorkerRegistry.Action]) -> [String: (load: [ExpertKey], drop: [ExpertKey], version: UInt64)] {
        RegistryTestSupport.assignments(actions)
    }

    func unwrap<T>(_ value: T?) throws -> T { try #require(value) }

    func released(_ actions: [WorkerRegistry.Action]) -> [String] {
        actions.compactMap { if case .released(let id, _) = $0 { id } else { nil } }
    }

    /// Registers workers one by one and acknowledges everything they are told, until quiet.
    func settle(_ registry: inout WorkerRegistry, _ actions: [WorkerRegistry.Action]) -> [WorkerRegistry.Action] {
        var pending = actions
        var all = actions
        while !pending.isEmpty {
            var next: [WorkerRegistry.Action] = []
            for (id, assignment) in assignments(pending) {
                guard let worker = registry.workers[id] else { continue }
                let loaded = worker.held.union(assignment.load).subtracting(assignment.drop).union(worker.target.intersection(assignment.load))
                next += registry.acknowledged(id: id, version: assignment.version, loaded: loaded, residentBytes: 0, now: t0)
            }
            all += next
            pending = next
        }
        return all
    }

    func cluster(_ ids: [String], replicas: Int = 1) -> WorkerRegistry {
        var registry = WorkerRegistry(keys: keys, configuration: .init(replicas: replicas))
        for (index, id) in ids.enumerated() {
            _ = settle(&registry, registry.register(id: id, routingID: [UInt8(index + 1)], pinned: nil, held: [], now: t0))
        }
        return registry
    }

    @Test func aDrainedWorkersKeysMoveFirstThenItDropsThenItIsReleased() throws {
        var registry = cluster(["a", "b"])
        let aKeys = registry.workers["a"]!.held
        #expect(registry.isComplete && !aKeys.isEmpty)

        let started = try unwrap(registry.drain(id: "a", reason: "test", now: t0))
        #expect(started.contains(.drainStarted(workerID: "a", reason: "test")))
        let toB = try #require(assignments(started)["b"])
        #expect(Set(toB.load) == aKeys)
        #expect(assignments(started)["a"] == nil)  // a keeps serving until b has loaded
        #expect(registry.isComplete && registry.routing[aKeys.first!] == ["a"])
        #expect(registry.workers["a"]!.draining && registry.workers["a"]!.target.isEmpty)

        let afterLoad = registry.acknowledged(id: "b", version: toB.version, loaded: Set(keys), residentBytes: 0, now: t0)
        let drop = try #require(assignments(afterLoad)["a"])
        #expect(Set(drop.drop) == aKeys && drop.load.isEmpty)
        #expect(registry.routing[aKeys.first!] == ["b"])
        #expect(released(afterLoad).isEmpty)  // not before a acknowledged the drop

        let done = registry.acknowledged(id: "a", version: drop.version, loaded: [], residentBytes: 0, now: t0)
        #expect(released(done) == ["a"])
        #expect(registry.workers["a"] == nil && registry.isComplete)
        #expect(registry.departed.last?.id == "a" && registry.departed.last?.cause == .left)
    }

    @Test func withNoOtherWorkerTheDrainWaitsAndKeepsServing() throws {
        var registry = cluster(["a"])
        let actions = try unwrap(registry.drain(id: "a", reason: "sigterm", now: t0))
        #expect(assignments(actions).isEmpty && released(actions).isEmpty)
        #expect(registry.isComplete && registry.routing[keys[0]] == ["a"])
        // A newcomer takes everything; then a drops and is released.
        let joined = settle(&registry, registry.register(id: "b", routingID: [9], pinned: nil, held: [], now: t0))
        #expect(released(joined) == ["a"])
        #expect(registry.routing.values.allSatisfy { $0 == ["b"] } && registry.isComplete)
    }

    @Test func aDrainingWorkerGetsNoNewKeysWhenAnotherDies() throws {
        var registry = cluster(["a", "b", "c"])
        _ = try unwrap(registry.drain(id: "a", reason: "test", now: t0))
        let lost = registry.lost(id: "c", reason: "killed")
        #expect(assignments(lost)["a"].map { $0.load.isEmpty } ?? true)
        #expect(lost.contains(.workerLost(workerID: "c", reason: "killed")))
        #expect(registry.departed.last?.cause == .dead)
    }

    @Test func withReplicasTheRemainingWorkersCoverTwiceBeforeTheDrainedOneDrops() throws {
        var registry = cluster(["a", "b", "c"], replicas: 2)
        for key in keys { #expect(registry.routing[key]?.count == 2) }
        let actions = settle(&registry, try unwrap(registry.drain(id: "c", reason: "test", now: t0)))
        #expect(released(actions) == ["c"])
        for key in keys { #expect(registry.routing[key] == ["a", "b"]) }
    }

    @Test func unknownAndRepeatedDrains() throws {
        var registry = cluster(["a", "b"])
        #expect(registry.drain(id: "zz", reason: "test", now: t0) == nil)
        _ = try unwrap(registry.drain(id: "a", reason: "test", now: t0))
        #expect(registry.drain(id: "a", reason: "again", now: t0) == [])
    }

    @Test func aReRegistrationMidDrainStaysDraining() throws {
        var registry = cluster(["a", "b"])
        _ = try unwrap(registry.drain(id: "a", reason: "test", now: t0))
        _ = registry.register(id: "a", routingID: [1], pinned: nil, held: registry.workers["a"]!.held, now: t0)
        #expect(registry.workers["a"]?.draining == true)
    }
}
