import Testing
import SwitchyardModel
@testable import SwitchyardCluster

/// Gray failures in the registry: a worker that misses a dispatch deadline is suspect at once
/// (routing avoids it, its keys are loaded elsewhere) and evicted after more misses or a grace.
@Suite("WorkerRegistry suspects")
struct SuspectWorkerTests {
    let keys = RegistryTestSupport.keys
    let t0 = ContinuousClock.now

    /// Acknowledges everything workers are told, until quiet.
    func settle(_ registry: inout WorkerRegistry, _ actions: [WorkerRegistry.Action]) {
        var pending = actions
        while !pending.isEmpty {
            var next: [WorkerRegistry.Action] = []
            for (id, assignment) in RegistryTestSupport.assignments(pending) {
                guard let worker = registry.workers[id] else { continue }
                let loaded = worker.held.union(assignment.load).subtracting(assignment.drop)
                next += registry.acknowledged(id: id, version: assignment.version, loaded: loaded, residentBytes: 0, now: t0)
            }
            pending = next
        }
    }

    func cluster(_ ids: [String], replicas: Int, grace: Duration? = nil) -> WorkerRegistry {
        var registry = WorkerRegistry(keys: keys, configuration: .init(replicas: replicas, evictAfterMisses: 3, suspectGrace: grace))
        for (index, id) in ids.enumerated() {
            settle(&registry, registry.register(id: id, routingID: [UInt8(index + 1)], pinned: nil, held: [], now: t0))
        }
        return registry
    }

    func evicted(_ actions: [WorkerRegistry.Action]) -> [String] {
        actions.compactMap { if case .evicted(let id, _, _) = $0 { id } else { nil } }
    }

    @Test func aMissedDeadlineMakesAWorkerSuspectAndRoutingAvoidsIt() {
        var registry = cluster(["a", "b", "c"], replicas: 2)
        #expect(registry.routing.values.contains { $0.contains("c") })
        let actions = registry.missedDeadline(id: "c", now: t0)
        #expect(actions.contains(.suspected(workerID: "c", reason: "missed 1 dispatch deadline")))
        #expect(!registry.routing.values.contains { $0.contains("c") })
        #expect(registry.isComplete)  // replicas: every key still has a holder
        #expect(registry.workers["c"]?.target.isEmpty == true)
        // Its keys go to the others (two-phase: loaded first).
        #expect(!RegistryTestSupport.assignments(actions).filter { $0.key != "c" && !$0.value.load.isEmpty }.isEmpty)
        settle(&registry, actions)
        for key in keys { #expect(registry.routing[key] == ["a", "b"]) }
    }

    @Test func repeatedMissesEvictTheWorker() {
        var registry = cluster(["a", "b"], replicas: 2)
        _ = registry.missedDeadline(id: "b", now: t0)
        let result8 = registry.missedDeadline(id: "b", now: t0)
        #expect(result8.isEmpty)  // already suspect: nothing new
        let third = registry.missedDeadline(id: "b", now: t0)
        #expect(evicted(third) == ["b"])
        #expect(third.contains(.workerLost(workerID: "b", reason: "evicted: missed 3 dispatch deadlines")))
        #expect(registry.workers["b"] == nil && registry.departed.last?.cause == .evicted)
        // It may come back.
        settle(&registry, registry.register(id: "b", routingID: [2], pinned: nil, held: [], now: t0 + .seconds(1)))
        #expect(registry.workers["b"]?.suspicion == nil && registry.routing.values.allSatisfy { $0 == ["a", "b"] })
    }

    @Test func aSuspectIsEvictedAfterTheGraceAndItsKeysAreReassigned() {
        var registry = cluster(["a", "b"], replicas: 1, grace: .seconds(2))
        let bKeys = registry.workers["b"]!.held
        let suspected = registry.missedDeadline(id: "b", now: t0)
        // No replica: b's keys have no usable holder until a has loaded them (requests fail fast).
        #expect(Set(registry.missing) == bKeys)
        #expect(Set(RegistryTestSupport.assignments(suspected)["a"]?.load ?? []) == bKeys)
        let result9 = registry.tick(now: t0 + .seconds(1))
        #expect(evicted(result9).isEmpty)
        let result10 = registry.tick(now: t0 + .seconds(2))
        #expect(evicted(result10) == ["b"])
        settle(&registry, suspected)
        #expect(registry.isComplete && registry.routing.values.allSatisfy { $0 == ["a"] })
    }

    @Test func routingIsCachedNotRebuiltOnHeartbeats() {
        var registry = cluster(["a", "b"], replicas: 1)
        let before = registry.routing
        registry.heard(id: "a", queuedDispatches: 3, now: t0 + .seconds(1))
        #expect(registry.routing == before)
    }
}
