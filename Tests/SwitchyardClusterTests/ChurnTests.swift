import Testing
import SwitchyardModel
@testable import SwitchyardCluster

/// Issue 21 (2), churn: a burst of joins makes one rebalance, departed workers age out,
/// registrations are rate-limited per peer and overall, repeated log lines are counted.
@Suite("Churn")
struct ChurnTests {
    let keys = RegistryTestSupport.keys
    let t0 = ContinuousClock.now

    @Test func aBurstOfJoinsIsPlacedOnce() {
        var registry = WorkerRegistry(keys: keys, configuration: .init(placementBatch: .milliseconds(250)))
        var actions: [WorkerRegistry.Action] = []
        for index in 0 ..< 50 {
            actions += registry.register(id: "w\(index)", routingID: [UInt8(index + 1)], pinned: nil, held: [],
                                         now: t0 + .milliseconds(index))
        }
        #expect(RegistryTestSupport.assignments(actions).isEmpty && registry.placementVersion == 0)
        let result1 = registry.tick(now: t0 + .milliseconds(100))
        #expect(RegistryTestSupport.assignments(result1).isEmpty)
        let placed = registry.tick(now: t0 + .milliseconds(250))
        // One replan: one assignment per worker that gets keys (at most one key each here).
        #expect(RegistryTestSupport.assignments(placed).count == keys.count)
        #expect(registry.placementVersion == UInt64(keys.count))
        let result2 = registry.tick(now: t0 + .milliseconds(500))
        #expect(RegistryTestSupport.assignments(result2).isEmpty)
    }

    @Test func departedWorkersAgeOut() {
        var registry = WorkerRegistry(keys: keys, configuration: .init(heartbeatInterval: .seconds(1), departedTTL: .seconds(60)))
        for index in 0 ..< 10 {
            _ = registry.register(id: "w\(index)", routingID: [UInt8(index + 1)], pinned: nil, held: [], now: t0)
            _ = registry.disconnected(id: "w\(index)", reason: "bye")
        }
        #expect(registry.departed.count == 10)
        _ = registry.tick(now: t0 + .seconds(30))
        #expect(registry.departed.count == 10)
        _ = registry.tick(now: t0 + .seconds(61))
        #expect(registry.departed.isEmpty)
    }

    @Test func registrationsAreLimitedPerPeerAndOverall() {
        var limiter = RegistrationLimiter(peerBurst: 3, peerRate: 1, totalBurst: 10, totalRate: 5, maxPeers: 100)
        let a: [UInt8] = [1]
        let burst = (0 ..< 3).map { _ in limiter.admit(a, now: t0) }
        #expect(burst == [true, true, true])
        let fourth = limiter.admit(a, now: t0)
        #expect(!fourth)
        let refilled = limiter.admit(a, now: t0 + .seconds(1))
        #expect(refilled)
        // Fresh ids: the overall bucket (refilled to 10, less the one just taken) stops them.
        let fresh = (0 ..< 2000).filter { limiter.admit([2, UInt8($0 & 0xFF), UInt8($0 >> 8)], now: t0 + .seconds(1)) }.count
        #expect(fresh == 9)
        #expect(limiter.trackedPeers <= 100)
        let later = limiter.admit([9], now: t0 + .seconds(2))
        #expect(later)
    }

    @Test func repeatedLogLinesAreCountedAndReported() {
        var limiter = LogRateLimiter(perWindow: 2, window: .seconds(10))
        let first = [limiter.admit("dropped message", now: t0), limiter.admit("dropped message", now: t0)]
        #expect(first == [.log(suppressed: 0), .log(suppressed: 0)])
        let flood = (0 ..< 100).map { _ in limiter.admit("dropped message", now: t0 + .seconds(1)) }
        #expect(flood.allSatisfy { $0 == .suppress })
        let other = limiter.admit("worker registered", now: t0 + .seconds(1))
        #expect(other == .log(suppressed: 0))
        #expect(limiter.suppressedTotal == 100)
        let next = limiter.admit("dropped message", now: t0 + .seconds(11))
        #expect(next == .log(suppressed: 100))
    }
}
