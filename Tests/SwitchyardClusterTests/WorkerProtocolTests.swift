import Foundation
import Testing
import SwitchyardModel
import SwitchyardTensor
import SwitchyardCluster
import SwitchyardWire
import SwitchyardCluster
import SwitchyardZMQ

/// The worker daemon against a fake router on loopback: registration, assignment, dispatch,
/// bad input, liveness and shutdown.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct WorkerProtocolTests {
    init() { BLAS.setThreads(1) }

    /// Registers `id`, welcomes it and returns its routing id.
    private func registered(_ router: FakeRouter, _ running: RunningWorker) async throws -> (routingID: [UInt8], register: Switchyard_V1_Register) {
        let arrival = try #require(await router.expect(.register))
        guard case .register(let register) = arrival.message else { throw TestFailure("not a register") }
        try router.welcome(arrival.routingID)
        return (arrival.routingID, register)
    }

    /// Sends an assignment and returns the ack.
    private func assign(_ router: FakeRouter, _ routingID: [UInt8], version: UInt64, load: [(Int, Int)], drop: [(Int, Int)] = []) async throws -> Switchyard_V1_AssignmentAck {
        var assignment = Switchyard_V1_Assignment()
        assignment.placementVersion = version
        assignment.load = load.map { ref($0.0, $0.1) }
        assignment.drop = drop.map { ref($0.0, $0.1) }
        try router.send(.assignment(assignment), to: routingID)
        let reply = try #require(await router.expect(.assignmentAck))
        guard case .assignmentAck(let ack) = reply.message else { throw TestFailure("not an ack") }
        return ack
    }

    @Test func registerCarriesIdentityCapacityAndPins() async throws {
        let model = TestModel.shared
        let router = try FakeRouter(limits: model.limits)
        let running = try RunningWorker(router: router, id: "w-register", pinned: [0, 1])
        let arrival = try #require(await router.expect(.register))
        #expect(arrival.routingID == SocketSetup.routingID(worker: "w-register"))
        guard case .register(let register) = arrival.message else { Issue.record("not a register"); return }
        #expect(register.workerID == "w-register")
        #expect(register.model == (try ModelIdentity.fingerprint(config: model.config, directory: model.directory)))
        #expect(register.model.modelType == "qwen2_moe")
        #expect(register.model.layers == 2)
        #expect(register.model.expertsPerLayer == 5)
        #expect(register.model.hiddenSize == 64)
        #expect(register.capacity.threads == 1)
        #expect(register.pinnedExperts == [0, 1])
        #expect(register.pinnedSpec == "0,1")
        #expect(register.held.isEmpty)
        #expect(register.softwareVersion == "test")
        let result = await running.stop()
        #expect(result.map { (try? $0.get()) != nil } == true)
    }

    @Test func assignmentLoadsExactlyTheAssignedExperts() async throws {
        let model = TestModel.shared
        let router = try FakeRouter(limits: model.limits)
        let running = try RunningWorker(router: router, id: "w-assign")
        let (routingID, _) = try await registered(router, running)
        let ack = try await assign(router, routingID, version: 3, load: [(0, 0), (0, 2), (1, 1)])
        #expect(ack.placementVersion == 3)
        #expect(ack.loaded == [ref(0, 0), ref(0, 2), ref(1, 1)])
        #expect(ack.failed.isEmpty)
        // Exactly the three experts' f32 weights (gate, up, down) are resident: a fraction of the model.
        let perExpert = 3 * model.config.hiddenSize * model.config.moeIntermediateSize * 4
        #expect(Int(ack.residentBytes) == 3 * perExpert)
        #expect(Int(ack.residentBytes) * 5 < model.totalBytes)

        // Drop one, add the shared expert: the ack lists everything now held.
        let second = try await assign(router, routingID, version: 4, load: [(0, 4)], drop: [(0, 2)])
        #expect(second.placementVersion == 4)
        #expect(second.loaded == [ref(0, 0), ref(0, 4), ref(1, 1)])
        let shared = 3 * model.config.hiddenSize * model.config.sharedExpertIntermediateSize * 4
        #expect(Int(second.residentBytes) == 2 * perExpert + shared)
        #expect(running.worker.statistics.placementVersion == 4)
        await running.stop()
    }

    /// Both ways a dispatch is computed give the same answer: on the I/O thread (small dispatches,
    /// the default budget) and on the compute thread (a budget of 0).
    @Test(arguments: [true, false]) func dispatchRepliesWithCombinedExpertOutputs(inline: Bool) async throws {
        let model = TestModel.shared
        let config = model.config
        let router = try FakeRouter(limits: model.limits)
        let running = try RunningWorker(router: router, id: "w-dispatch", inlineComputeFLOPs: inline ? nil : 0)
        let (routingID, _) = try await registered(router, running)
        _ = try await assign(router, routingID, version: 1, load: [(0, 0), (0, 2), (0, 4)])

        // Three tokens: token 0 -> experts 0, 2, 4; token 1 -> 0, 4; token 2 -> 2, 4.
        let h = config.hiddenSize
        var generator = SeededGenerator(seed: 11)
        let tokens = Matrix.random(rows: 3, cols: h, scale: 1, generator: &generator)
        let picks: [(token: Int, expert: Int, weight: Float)] = [
            (0, 0, 0.6), (1, 0, 0.3), (0, 2, 0.4), (2, 2, 0.7), (0, 4, 0.5), (1, 4, 0.2), (2, 4, 0.9),
        ]
        var rows: [Float] = []
        for pick in picks { rows += Array(UnsafeBufferPointer(start: tokens.row(pick.token), count: h)) }
        var header = Switchyard_V1_DispatchHeader()
        header.dispatchID = 42
        header.step = 7
        header.microBatch = 1
        header.layer = 0
        header.segments = [(0, 2), (2, 2), (4, 3)].map { expert, count in
            var segment = Switchyard_V1_Segment()
            segment.expert = UInt32(expert)
            segment.rows = UInt32(count)
            return segment
        }
        header.dtype = .f32
        header.hiddenSize = UInt32(h)
        header.totalRows = UInt32(picks.count)
        header.gateWeights = picks.map(\.weight)
        header.tokenSlots = picks.map { UInt32($0.token) }
        header.tokenCount = 3
        try router.send(.dispatch(header, rows: TensorBytes(f32: rows)), to: routingID)
        let arrival = try #require(await router.expect(.reply))
        guard case .reply(let reply, let replyRows) = arrival.message else { Issue.record("not a reply"); return }
        #expect(reply.status == .ok)
        #expect(reply.answers(header))
        let got = try #require(replyRows?.floats(as: .f32))

        // Reference: the engine's in-process backend over the same checkpoint and routes.
        let keys: Set<ExpertKey> = [ExpertKey(layer: 0, expert: 0), ExpertKey(layer: 0, expert: 2), ExpertKey(layer: 0, expert: 4)]
        let checkpoint = try Checkpoint(directory: model.directory, config: config, filter: .experts(keys))
        let local = try LocalExpertBackend(checkpoint: checkpoint, config: config, experts: keys)
        var ids = [Int32](repeating: -1, count: 9)
        var weights = [Float](repeating: 0, count: 9)
        var used = [0, 0, 0]
        for pick in picks {
            ids[pick.token * 3 + used[pick.token]] = Int32(pick.expert)
            weights[pick.token * 3 + used[pick.token]] = pick.weight
            used[pick.token] += 1
        }
        let output = Matrix(rows: 3, cols: h)
        try local.computeFFNSync(layer: 0, input: tokens, routes: ExpertRoutes(rows: 3, slotsPerRow: 3, expertIDs: ids, weights: weights), output: output)
        let expected = output.toArray()
        #expect(got.count == expected.count)
        let worst = zip(got, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
        #expect(worst <= 1e-5)

        // A bf16 dispatch of the same rows is served too (converted on the worker), answered in bf16.
        header.dispatchID = 43
        header.dtype = .bf16
        try router.send(.dispatch(header, rows: TensorBytes(bf16: rows)), to: routingID)
        let bf16 = try #require(await router.expect(.reply))
        guard case .reply(let bf16Reply, let bf16Rows) = bf16.message else { Issue.record("not a reply"); return }
        #expect(bf16Reply.status == .ok && bf16Reply.dispatchID == 43 && bf16Reply.dtype == .bf16)
        #expect(bf16Rows?.count == expected.count * 2)
        let approx = try #require(bf16Rows?.floats(as: .bf16))
        #expect(zip(approx, expected).allSatisfy { abs($0 - $1) < 0.1 * max(1, abs($1)) })
        #expect(running.worker.statistics.dispatchesServed == 2)
        // The first dispatch is inline for sure; the second too unless the first took longer than
        // a tenth of the heartbeat interval (a loaded machine), which lowers the limit.
        let inlineCount = running.worker.statistics.dispatchesInline
        #expect(inline ? inlineCount >= 1 : inlineCount == 0)
        await running.stop()
    }

    @Test func dispatchForExpertNotHeldFails() async throws {
        let model = TestModel.shared
        let router = try FakeRouter(limits: model.limits)
        let running = try RunningWorker(router: router, id: "w-notheld")
        let (routingID, _) = try await registered(router, running)
        _ = try await assign(router, routingID, version: 1, load: [(1, 0)])
        try router.send(Self.dispatch(layer: 1, expert: 3, hidden: model.config.hiddenSize, id: 9), to: routingID)
        let arrival = try #require(await router.expect(.reply))
        guard case .reply(let reply, let rows) = arrival.message else { Issue.record("not a reply"); return }
        #expect(reply.status == .error)
        #expect(reply.dispatchID == 9)
        #expect(rows == nil)
        #expect(reply.error.contains("L1E3"))
        #expect(running.worker.statistics.dispatchesFailed == 1)
        await running.stop()
    }

    @Test func malformedMessagesAreDroppedCountedAndServingContinues() async throws {
        let model = TestModel.shared
        let router = try FakeRouter(limits: model.limits)
        let running = try RunningWorker(router: router, id: "w-malformed")
        let (routingID, _) = try await registered(router, running)
        _ = try await assign(router, routingID, version: 1, load: [(0, 1)])
        let h = model.config.hiddenSize
        let valid = try WireFrames.message(Self.dispatch(layer: 0, expert: 1, hidden: h, id: 1)).frames.map(\.bytes)

        try router.sendRaw([Array("NOPE".utf8) + [1, 0, 16, 0], valid[1], valid[2]], to: routingID)      // bad magic
        try router.sendRaw([WireFormat.magic + [9, 0, 16, 0], valid[1], valid[2]], to: routingID)         // wrong version
        try router.sendRaw([valid[0], valid[1]], to: routingID)                                           // truncated
        try router.sendRaw([valid[0], [0xFF, 0xFF, 0xFF]], to: routingID)                                 // not protobuf (and truncated)
        try router.sendRaw([valid[0], valid[1], Array(valid[2].dropLast(4))], to: routingID)              // rows too short
        let tooMany = TestModel.shared.limits.maxRows + 1
        try router.send(Self.dispatch(layer: 0, expert: 1, hidden: h, id: 2, rows: tooMany), to: routingID) // oversize
        var register = Switchyard_V1_Register()
        register.workerID = "x"
        register.model = Switchyard_V1_ModelFingerprint()
        register.capacity.threads = 1
        try router.send(.register(register), to: routingID)                                               // unexpected kind

        let worker = running.worker
        #expect(await eventually { worker.statistics.drops.total == 7 })
        let drops = worker.statistics.drops
        #expect(drops[.badMagic] == 1)
        #expect(drops[.wrongVersion] == 1)
        #expect(drops[.missingFrames] == 2)
        #expect(drops[.tensorSizeMismatch] == 1)
        #expect(drops[.oversize] == 1)
        #expect(drops[.unexpectedKind] == 1)

        try router.send(Self.dispatch(layer: 0, expert: 1, hidden: h, id: 3), to: routingID)
        let arrival = try #require(await router.expect(.reply))
        guard case .reply(let reply, _) = arrival.message else { Issue.record("not a reply"); return }
        #expect(reply.status == .ok && reply.dispatchID == 3)
        await running.stop()
    }

    @Test func silentRouterMakesTheWorkerReconnectAndReRegisterWithItsExperts() async throws {
        let model = TestModel.shared
        let router = try FakeRouter(limits: model.limits)
        // Intervals long enough that loading the assignment on a loaded CI machine stays inside
        // the liveness window, short enough to keep the test fast.
        let running = try RunningWorker(router: router, id: "w-silent", heartbeatMs: 250)
        let arrival = try #require(await router.expect(.register))
        try router.welcome(arrival.routingID, heartbeatMs: 250, liveness: 3)
        _ = try await assign(router, arrival.routingID, version: 1, load: [(0, 3)])
        // From now on the router says nothing: after 3 x 250 ms the worker must register again.
        let again = try #require(await router.expect(.register, timeout: .seconds(10)))
        guard case .register(let register) = again.message else { Issue.record("not a register"); return }
        #expect(register.held == [ref(0, 3)])
        #expect(running.worker.statistics.connects >= 2)
        await running.stop()
    }

    @Test func unknownPeerRefusalTriggersImmediateReRegistration() async throws {
        let model = TestModel.shared
        let router = try FakeRouter(limits: model.limits)
        let running = try RunningWorker(router: router, id: "w-unknown")
        let (routingID, _) = try await registered(router, running)
        try router.send(.refusal(Switchyard_V1_Refusal(code: .unknownPeer, text: "who are you")), to: routingID)
        #expect(await router.expect(.register, timeout: .seconds(2)) != nil)
        #expect(running.worker.statistics.connects == 1)
        await running.stop()
    }

    @Test func modelMismatchRefusalEndsRunWithTheReason() async throws {
        let model = TestModel.shared
        let router = try FakeRouter(limits: model.limits)
        let running = try RunningWorker(router: router, id: "w-refused")
        let arrival = try #require(await router.expect(.register))
        try router.send(.refusal(Switchyard_V1_Refusal(code: .modelMismatch, text: "digest differs")), to: arrival.routingID)
        let result = try #require(await running.finished())
        guard case .failure(.refused(let code, let text)) = result else { Issue.record("expected a refusal, got \(result)"); return }
        #expect(code == .modelMismatch)
        #expect(text == "digest differs")
    }

    @Test func stopSendsDisconnectAndRunReturns() async throws {
        let model = TestModel.shared
        let router = try FakeRouter(limits: model.limits)
        let running = try RunningWorker(router: router, id: "w-stop")
        _ = try await registered(router, running)
        running.worker.stop()
        let arrival = try #require(await router.expect(.disconnect))
        guard case .disconnect(let disconnect) = arrival.message else { Issue.record("not a disconnect"); return }
        #expect(disconnect.reason == .shutdown)
        let result = try #require(await running.finished())
        #expect((try? result.get()) != nil)
    }

    @Test func badConfigurationIsAClearError() throws {
        let model = TestModel.shared
        let pinned = WorkerConfiguration(routerEndpoint: "tcp://127.0.0.1:1", modelDirectory: model.directory,
                                         workerID: "w", pinnedExperts: [5])
        #expect { try Worker(configuration: pinned) } throws: { "\($0)".contains("pinned expert 5") }
        let missing = WorkerConfiguration(routerEndpoint: "tcp://127.0.0.1:1",
                                          modelDirectory: URL(fileURLWithPath: "/nonexistent/model"), workerID: "w")
        #expect { try Worker(configuration: missing) } throws: { "\($0)".contains("/nonexistent/model") }
        let badID = WorkerConfiguration(routerEndpoint: "tcp://127.0.0.1:1", modelDirectory: model.directory, workerID: "")
        #expect(throws: WorkerError.self) { try Worker(configuration: badID) }
    }

    /// A one-segment dispatch of `rows` rows (one token each) to `expert` of `layer`.
    static func dispatch(layer: Int, expert: Int, hidden: Int, id: UInt64, rows: Int = 2) -> WireMessage {
        var header = Switchyard_V1_DispatchHeader()
        header.dispatchID = id
        header.layer = UInt32(layer)
        var segment = Switchyard_V1_Segment()
        segment.expert = UInt32(expert)
        segment.rows = UInt32(rows)
        header.segments = [segment]
        header.dtype = .f32
        header.hiddenSize = UInt32(hidden)
        header.totalRows = UInt32(rows)
        header.gateWeights = Array(repeating: 1, count: rows)
        header.tokenSlots = (0..<rows).map { UInt32($0) }
        header.tokenCount = UInt32(rows)
        return .dispatch(header, rows: TensorBytes(f32: (0..<rows * hidden).map { Float($0 % 7) * 0.1 }))
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
