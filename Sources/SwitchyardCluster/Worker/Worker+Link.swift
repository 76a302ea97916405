import Foundation
import SwitchyardModel
import SwitchyardWire
import SwitchyardZMQ

extension Worker {
    /// Reactor thread: advances the link state machine and performs its actions.
    func tick() {
        let now = ContinuousClock.now
        perform(link.tick(now: now))
        checkDrainDeadline(now: now)
    }

    /// Reactor thread.
    func perform(_ actions: [WorkerLink.Action]) {
        for action in actions {
            switch action {
            case .connectAndRegister:
                connect()
                sendRegister()
            case .register:
                renewLaneIfMapped()
                sendRegister()
            case .heartbeat:
                sendHeartbeat()
            case .disconnect(let delay, let reason):
                if isDraining {
                    // Nothing can route here without a router: the drain is over.
                    leave(detail: "leaving: lost the router while draining (\(reason))")
                    closeSocket()
                    return
                }
                logger.warning("lost the router (\(reason)): reconnecting in \(delay)")
                closeSocket()
            }
        }
    }

    /// Reactor thread: replaces the socket with a fresh DEALER connected to the router.
    private func connect() {
        closeSocket()
        guard let reactor else { return }
        do {
            let socket = try Socket(context, type: .dealer)
            do {
                try SocketSetup.configureWorker(socket, routingID: configuration.workerID, maxMessageBytes: decoder.maxMessageBytes)
                if let curve = configuration.curve {
                    try socket.makeCurveClient(keyPair: curve.keys, serverKey: curve.routerKey)
                }
                try socket.connect(configuration.routerEndpoint)
            } catch {
                socket.close()
                throw error
            }
            let handle = try reactor.add(socket)
            shared.withLock {
                $0.socket = handle
                $0.statistics.connects += 1
            }
            renewLane()
            logger.debug("connected to \(configuration.routerEndpoint)")
        } catch {
            logger.error("cannot connect to \(configuration.routerEndpoint): \(error)")
            link.stop()
            exit.finish(.failure(.setup("cannot connect to router \(configuration.routerEndpoint): \(error)")))
        }
    }

    /// Reactor thread.
    func closeSocket() {
        let old = shared.withLock { shared -> SocketHandle? in
            defer { shared.socket = nil }
            return shared.socket
        }
        if let old { reactor?.remove(old) }
        dropLane()
    }

    private func sendRegister() {
        var register = Switchyard_V1_Register()
        register.workerID = configuration.workerID
        var capacity = Switchyard_V1_Capacity()
        capacity.threads = UInt32(configuration.threads)
        capacity.memoryBytes = configuration.memoryBytes
        register.capacity = capacity
        register.model = fingerprint
        let held = shared.withLock { $0.statistics.heldExperts }
        register.held = held.map(Self.ref)
        register.pinnedExperts = configuration.pinnedExperts.sorted().map { UInt32($0) }
        register.pinnedSpec = configuration.pinnedSpec
        register.softwareVersion = configuration.softwareVersion
        if let offer = laneOffer { register.localLane = offer }
        if send(.register(register)) {
            shared.withLock { $0.statistics.registrationsSent += 1 }
            logger.info("registering with \(configuration.routerEndpoint)", metadata: ["held": .stringConvertible(held.count)])
        }
    }

    private func sendHeartbeat() {
        heartbeatSequence += 1
        var heartbeat = Switchyard_V1_Heartbeat()
        heartbeat.sequence = heartbeatSequence
        heartbeat.sentUnixNanos = UInt64(max(0, Date().timeIntervalSince1970 * 1e9))
        heartbeat.placementVersion = shared.withLock { $0.statistics.placementVersion }
        heartbeat.queuedDispatches = UInt32(clamping: computeThread.pending)
        send(.heartbeat(heartbeat))
    }

    static func ref(_ key: ExpertKey) -> Switchyard_V1_ExpertRef {
        var ref = Switchyard_V1_ExpertRef()
        ref.layer = UInt32(key.layer)
        ref.expert = UInt32(key.expert)
        return ref
    }
}
