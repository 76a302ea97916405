import Foundation
import SwitchyardModel
import SwitchyardWire
import SwitchyardZMQ

extension ClusterService {
    /// Reactor thread: every event of the worker socket.
    package func handle(_ event: ReactorEvent, _ reactorContext: ReactorContext) {
        switch event {
        case .message(_, let message):
            receive(message)
        case .sendFailed(_, let message, let failure):
            let routingID = message.frames.first?.bytes ?? []
            let worker = state.withLock { $0.registry.worker(routingID: routingID)?.id }
            limitedLog(.warning, "send to worker failed", metadata: ["worker": "\(worker ?? "unknown")", "error": "\(failure)"])
            if let worker {
                let actions = state.withLock { $0.registry.lost(id: worker, reason: "unreachable: \(failure)") }
                perform(actions)
            }
        case .receiveFailed(_, let error):
            logger.error("receive failed on the worker socket", metadata: ["error": "\(error)"])
        }
    }

    private func receive(_ message: Message) {
        guard message.frames.count >= 2 else {
            drop(.missingFrames, from: "?", detail: "no routing id and payload")
            return
        }
        let routingID = message.frames[0].bytes
        let peer = String(decoding: routingID, as: UTF8.self)
        let decoded: WireMessage
        do {
            decoded = try decoder.decode(WireFrames.wireFrames(message, skip: 1))
        } catch {
            drop(error.reason, from: peer, detail: error.description)
            if error.reason == .wrongVersion {
                var refusal = Switchyard_V1_Refusal()
                refusal.code = .versionMismatch
                refusal.text = error.description
                send(.refusal(refusal), to: routingID)
            }
            return
        }
        let now = ContinuousClock.now
        let (known, released) = state.withLock { ($0.registry.worker(routingID: routingID)?.id, $0.released.contains(routingID)) }
        if known == nil, released, decoded.kind != .register {
            // A released worker's last heartbeats and its goodbye cross the release: expected.
            return
        }

        switch decoded {
        case .register(let register):
            handleRegister(register, routingID: routingID, now: now)
        case .assignmentAck(let ack):
            guard let id = known else { return refuseUnknown(routingID, peer) }
            let loaded = Set(ack.loaded.map { ExpertKey(layer: Int($0.layer), expert: Int($0.expert)) })
            if !ack.failed.isEmpty {
                logger.error("worker could not load experts", metadata: ["worker": "\(id)", "error": "\(ack.error)", "failed": "\(ack.failed.count)"])
            }
            let actions = state.withLock { $0.registry.acknowledged(id: id, version: ack.placementVersion, loaded: loaded, residentBytes: ack.residentBytes, now: now) }
            perform(actions)
        case .heartbeat(let heartbeat):
            guard let id = known else { return refuseUnknown(routingID, peer) }
            state.withLock { $0.registry.heard(id: id, queuedDispatches: Int(heartbeat.queuedDispatches), now: now) }
        case .disconnect(let goodbye):
            guard let id = known else { return }
            limitedLog(.info, "worker left", metadata: ["worker": "\(id)", "reason": "\(goodbye.detail)"])
            let actions = state.withLock { $0.registry.disconnected(id: id, reason: "disconnected: \(goodbye.detail)") }
            perform(actions)
        case .drain(let drain):
            guard let id = known else { return refuseUnknown(routingID, peer) }
            guard drain.phase == .requested else {
                drop(.unexpectedKind, from: peer, detail: "drain \(drain.phase) is sent by the router, never to it")
                return
            }
            state.withLock { $0.registry.heard(id: id, now: now) }
            let outcome = self.drain(workerID: id, reason: drain.detail.isEmpty ? "worker asked" : "worker asked: \(drain.detail)")
            if outcome == .alreadyDraining {
                // Repeated after a reconnect: tell it again that the drain is under way.
                sendDrain(.started, detail: "drain already under way", to: routingID)
            }
        case .reply(let reply, let rows):
            guard let id = known else { return refuseUnknown(routingID, peer) }
            state.withLock { $0.registry.heard(id: id, now: now) }
            handleReply(reply, rows: rows, from: id)
        case .refusal(let refusal):
            limitedLog(.warning, "worker refused a message", metadata: ["worker": "\(peer)", "code": "\(refusal.code)", "text": "\(refusal.text)"])
        case .welcome, .assignment, .dispatch:
            drop(.unexpectedKind, from: peer, detail: "\(decoded.kind) is sent by the router, never to it")
        }
    }

    private func handleRegister(_ register: Switchyard_V1_Register, routingID: [UInt8], now: ContinuousClock.Instant) {
        // The id is the one the worker names (its routing id adds its process instance).
        let peer = register.workerID
        let admitted = state.withLock { state in
            let admitted = state.registrations.admit(routingID, now: now)
            if !admitted { state.stats.rateLimitedRegistrations += 1 }
            return admitted
        }
        guard admitted else {
            // Dropped, not refused: a refusal makes a real worker exit; it registers again later.
            drop(.rateLimited, from: peer, detail: "too many registrations: try again later")
            return
        }
        if let mismatch = register.model.mismatch(against: fingerprint) {
            state.withLock { $0.refusedRegistrations += 1 }
            limitedLog(.error, "refused worker with another model", metadata: ["worker": "\(peer)", "reason": "\(mismatch)"])
            var refusal = Switchyard_V1_Refusal()
            refusal.code = .modelMismatch
            refusal.text = mismatch
            send(.refusal(refusal), to: routingID)
            return
        }
        let held = Set(register.held.map { ExpertKey(layer: Int($0.layer), expert: Int($0.expert)) })
        // Pins name experts; with sliced experts the worker holds every slice of each.
        let pinned = register.pinnedExperts.isEmpty
            ? nil : configuration.expertSlicing.units(ofExperts: Set(register.pinnedExperts.map(Int.init)))
        let actions = state.withLock { state in
            state.released.remove(routingID)
            return state.registry.register(id: peer, routingID: routingID, pinned: pinned, held: held, now: now)
        }
        if actions.contains(.welcome(workerID: peer)) {
            adoptLane(register.hasLocalLane ? register.localLane : nil, worker: peer, routingID: routingID)
        }
        limitedLog(.info, "worker registered", metadata: ["worker": "\(peer)", "pinned": "\(register.pinnedSpec)", "held": "\(held.count)"])
        perform(actions)
    }

    private func refuseUnknown(_ routingID: [UInt8], _ peer: String) {
        drop(.unknownPeer, from: peer, detail: "message from a worker that has not registered")
        var refusal = Switchyard_V1_Refusal()
        refusal.code = .unknownPeer
        refusal.text = "unknown worker: register first"
        send(.refusal(refusal), to: routingID)
    }

    package func drop(_ reason: DropReason, from peer: String, detail: String) {
        state.withLock { $0.drops.record(reason) }
        limitedLog(.warning, "dropped message", metadata: ["peer": "\(peer)", "reason": "\(reason)", "detail": "\(detail)"])
    }

    /// Sends through the reactor's queue (not `ReactorContext.send`), so control messages keep
    /// their order relative to dispatches queued by engine threads.
    package func send(_ message: WireMessage, to routingID: [UInt8]) {
        do {
            reactor?.send(try WireFrames.message(message, routingID: routingID), on: socketHandle)
        } catch {
            logger.error("could not encode a message", metadata: ["error": "\(error)"])
        }
    }

    private func sendDrain(_ phase: Switchyard_V1_DrainPhase, detail: String, to routingID: [UInt8]) {
        var drain = Switchyard_V1_Drain()
        drain.phase = phase
        drain.detail = WireText.truncated(detail)
        send(.drain(drain), to: routingID)
    }

    /// Heartbeats, liveness, dispatch deadlines.
    package func tick() {
        let now = ContinuousClock.now
        let actions = state.withLock { $0.registry.tick(now: now) }
        expireDispatches(now: now)
        perform(actions)
    }

    /// Performs the registry's actions. Any thread (sends go through the reactor's queue).
    package func perform(_ actions: [WorkerRegistry.Action]) {
        for action in actions {
            switch action {
            case .welcome(let id):
                var welcome = Switchyard_V1_Welcome()
                welcome.routerID = "router"
                welcome.heartbeatIntervalMs = UInt32(configuration.heartbeatInterval.milliseconds)
                welcome.liveness = UInt32(configuration.liveness)
                welcome.maxMessageBytes = UInt64(maxMessageBytes)
                welcome.localLane = state.withLock { $0.lanes[id] != nil }
                if let routingID = routingID(of: id) { send(.welcome(welcome), to: routingID) }
            case .refuse(let routingID, let reason):
                state.withLock { $0.refusedRegistrations += 1 }
                var refusal = Switchyard_V1_Refusal()
                switch reason {
                case .badPin(let text):
                    refusal.code = .badPin
                    refusal.text = text
                case .duplicateID(let text):
                    refusal.code = .duplicateWorkerID
                    refusal.text = text
                }
                limitedLog(.error, "refused a worker", metadata: ["worker": "\(String(decoding: routingID, as: UTF8.self))", "reason": "\(refusal.text)"])
                send(.refusal(refusal), to: routingID)
            case .assign(let id, let version, let load, let drop):
                var assignment = Switchyard_V1_Assignment()
                assignment.placementVersion = version
                assignment.load = load.map(Self.ref)
                assignment.drop = drop.map(Self.ref)
                limitedLog(.info, "assigning experts", metadata: ["worker": "\(id)", "version": "\(version)", "load": "\(load.count)", "drop": "\(drop.count)"])
                if let routingID = routingID(of: id) { send(.assignment(assignment), to: routingID) }
            case .heartbeat(let id):
                let (sequence, version) = state.withLock { state -> (UInt64, UInt64) in
                    state.heartbeatSequence += 1
                    return (state.heartbeatSequence, state.registry.placementVersion)
                }
                var heartbeat = Switchyard_V1_Heartbeat()
                heartbeat.sequence = sequence
                heartbeat.sentUnixNanos = UInt64(Date().timeIntervalSince1970 * 1e9)
                heartbeat.placementVersion = version
                if let routingID = routingID(of: id) { send(.heartbeat(heartbeat), to: routingID) }
            case .workerLost(let id, let reason):
                limitedLog(.warning, "worker lost", metadata: ["worker": "\(id)", "reason": "\(reason)"])
                state.withLock { $0.stats.workersLost += 1 }
                closeStaleLane(worker: id)
                rescueDispatches(to: id, because: .workerLost(worker: id, reason: reason))
            case .drainStarted(let id, let reason):
                if let routingID = routingID(of: id) { sendDrain(.started, detail: reason, to: routingID) }
            case .released(let id, let routingID):
                logger.info("worker drained: nothing routes to it, releasing it", metadata: ["worker": "\(id)"])
                state.withLock { _ = $0.released.insert(routingID) }
                sendDrain(.released, detail: "drained: nothing routes to this worker", to: routingID)
                closeStaleLane(worker: id)
                rescueDispatches(to: id, because: .workerLost(worker: id, reason: "drained"))
            case .suspected(let id, let reason):
                logger.warning("worker is suspect: routing avoids it", metadata: ["worker": "\(id)", "reason": "\(reason)"])
            case .evicted(let id, let routingID, let reason):
                logger.warning("evicting a worker that does not answer", metadata: ["worker": "\(id)", "reason": "\(reason)"])
                state.withLock { state in
                    state.released.insert(routingID)
                    state.stats.evictions += 1
                }
                closeStaleLane(worker: id)
                var goodbye = Switchyard_V1_Disconnect()
                goodbye.reason = .heartbeatTimeout
                goodbye.detail = WireText.truncated("evicted by the router: \(reason)")
                send(.disconnect(goodbye), to: routingID)
            case .routingChanged:
                let (complete, changed, missing) = state.withLock { state -> (Bool, Bool, [ExpertKey]) in
                    let complete = state.registry.isComplete
                    defer { state.wasComplete = complete }
                    return (complete, complete != state.wasComplete, state.registry.missing)
                }
                if changed {
                    if complete { logger.info("every expert has a holder: serving") } else {
                        logger.warning("experts without a live holder", metadata: ["missing": "\(Self.describe(missing))"])
                    }
                }
            }
        }
    }

    private func routingID(of worker: String) -> [UInt8]? {
        state.withLock { $0.registry.workers[worker]?.routingID }
    }

    package static func ref(_ key: ExpertKey) -> Switchyard_V1_ExpertRef {
        var ref = Switchyard_V1_ExpertRef()
        ref.layer = UInt32(key.layer)
        ref.expert = UInt32(key.expert)
        return ref
    }
}
