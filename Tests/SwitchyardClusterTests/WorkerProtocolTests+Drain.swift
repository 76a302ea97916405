import Foundation
import Testing
import SwitchyardModel
import SwitchyardTensor
import SwitchyardWire
import SwitchyardCluster

/// The worker's side of a graceful drain (what SIGTERM does) against a fake router.
///
/// Part of `WorkerProtocolTests` so they run serialized with it: the fake router's receive loop
/// blocks a thread of the small cooperative pool, and two such suites at once starve the workers'
/// `run()` tasks.
extension WorkerProtocolTests {
    /// The heartbeat interval of these tests' workers and welcomes. The fake router never heartbeats
    /// and answers only when the test polls it; in a full test run on 2 cores the test's task can
    /// wait seconds for a thread, and a worker that hears nothing for three intervals reconnects
    /// with a new identity. CI saw it with 500 ms: a registration unanswered for 1.5 s, then the
    /// welcome sent to the dropped socket (EHOSTUNREACH). With 5 s (15 s of silence) every wait of
    /// these tests stays inside one connection; none of them times a heartbeat.
    static let drainHeartbeatMs = 5000

    /// Welcomes the worker's registration and waits (bounded) until the worker has read the welcome.
    private func drainRegistered(_ router: FakeRouter, _ running: RunningWorker) async throws -> [UInt8] {
        let arrival = try #require(await router.expect(.register))
        try router.welcome(arrival.routingID, heartbeatMs: UInt32(Self.drainHeartbeatMs))
        #expect(await eventually { running.worker.statistics.welcomes >= 1 })
        return arrival.routingID
    }

    private func drainMessage(_ phase: Switchyard_V1_DrainPhase) -> WireMessage {
        var drain = Switchyard_V1_Drain()
        drain.phase = phase
        drain.detail = "test"
        return .drain(drain)
    }

    @Test func drainAsksTheRouterKeepsServingAndLeavesOnceReleased() async throws {
        let model = TestModel.shared
        let router = try FakeRouter(limits: model.limits)
        let running = try RunningWorker(router: router, id: "w-drain", heartbeatMs: Self.drainHeartbeatMs)
        let routingID = try await drainRegistered(router, running)
        var assignment = Switchyard_V1_Assignment()
        assignment.placementVersion = 1
        assignment.load = [ref(0, 0)]
        try router.send(.assignment(assignment), to: routingID)
        _ = try #require(await router.expect(.assignmentAck))

        running.worker.drain()
        let request = try #require(await router.expect(.drain))
        guard case .drain(let asked) = request.message else { Issue.record("not a drain"); return }
        #expect(asked.phase == .requested)
        // Still serving while the router moves the experts.
        try router.send(WorkerProtocolTests.dispatch(layer: 0, expert: 0, hidden: model.config.hiddenSize, id: 5), to: routingID)
        let reply = try #require(await router.expect(.reply))
        guard case .reply(let header, _) = reply.message else { Issue.record("not a reply"); return }
        #expect(header.status == .ok && header.dispatchID == 5)
        #expect(await running.finished(timeout: .milliseconds(300)) == nil)

        try router.send(drainMessage(.released), to: routingID)
        let goodbye = try #require(await router.expect(.disconnect))
        guard case .disconnect(let disconnect) = goodbye.message else { Issue.record("not a disconnect"); return }
        #expect(disconnect.reason == .shutdown && disconnect.detail.contains("drained"))
        let result = try #require(await running.finished())
        #expect((try? result.get()) != nil)
    }

    /// Issue 21: a worker that never asked to drain (and was not told a drain started) ignores a
    /// `Drain RELEASED`: it keeps serving instead of leaving.
    @Test func anUnsolicitedReleaseIsIgnored() async throws {
        let model = TestModel.shared
        let router = try FakeRouter(limits: model.limits)
        let running = try RunningWorker(router: router, id: "w-unsolicited", heartbeatMs: Self.drainHeartbeatMs)
        let routingID = try await drainRegistered(router, running)
        var assignment = Switchyard_V1_Assignment()
        assignment.placementVersion = 1
        assignment.load = [ref(0, 0)]
        try router.send(.assignment(assignment), to: routingID)
        _ = try #require(await router.expect(.assignmentAck))
        try router.send(drainMessage(.released), to: routingID)
        #expect(await running.finished(timeout: .milliseconds(400)) == nil)
        try router.send(WorkerProtocolTests.dispatch(layer: 0, expert: 0, hidden: model.config.hiddenSize, id: 6), to: routingID)
        let reply = try #require(await router.expect(.reply))
        guard case .reply(let header, _) = reply.message else { Issue.record("not a reply"); return }
        #expect(header.status == .ok && header.dispatchID == 6)
        await running.stop()
    }

    @Test func drainLeavesAnywayWhenTheDrainTimesOut() async throws {
        let router = try FakeRouter(limits: TestModel.shared.limits)
        let running = try RunningWorker(router: router, id: "w-drain-timeout", heartbeatMs: Self.drainHeartbeatMs, drainTimeout: .milliseconds(600))
        _ = try await drainRegistered(router, running)
        let started = ContinuousClock.now
        running.worker.drain()
        _ = try #require(await router.expect(.drain))
        let goodbye = try #require(await router.expect(.disconnect))
        guard case .disconnect(let disconnect) = goodbye.message else { Issue.record("not a disconnect"); return }
        #expect(disconnect.detail.contains("drain timed out"))
        #expect(ContinuousClock.now - started >= .milliseconds(550))
        let result = try #require(await running.finished())
        #expect((try? result.get()) != nil)
    }

    @Test func aDrainStartedByTheRouterNeedsNoRequestAndASecondDrainStopsAtOnce() async throws {
        let router = try FakeRouter(limits: TestModel.shared.limits)
        let running = try RunningWorker(router: router, id: "w-drain-admin", heartbeatMs: Self.drainHeartbeatMs)
        let routingID = try await drainRegistered(router, running)
        try router.send(drainMessage(.started), to: routingID)
        #expect(await router.quiet(for: .milliseconds(300)))  // no request of its own
        #expect(await running.finished(timeout: .milliseconds(100)) == nil)
        // A worker message in the wrong direction is dropped and counted, not obeyed.
        try router.send(drainMessage(.requested), to: routingID)
        #expect(await eventually { running.worker.statistics.drops[.unexpectedKind] == 1 })
        running.worker.drain()  // the second signal: leave now
        _ = try #require(await router.expect(.disconnect))
        let result = try #require(await running.finished())
        #expect((try? result.get()) != nil)
    }

    @Test func withoutARouterADrainLeavesAtOnce() async throws {
        let router = try FakeRouter(limits: TestModel.shared.limits)
        let running = try RunningWorker(router: router, id: "w-drain-alone", heartbeatMs: Self.drainHeartbeatMs)
        _ = try #require(await router.expect(.register))  // never welcomed
        running.worker.drain()
        let result = try #require(await running.finished(timeout: .seconds(3)))
        #expect((try? result.get()) != nil)
    }
}
