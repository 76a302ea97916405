import SwitchyardWire

extension Worker {
    /// Leaves gracefully (what SIGTERM does): asks the router to move this worker's experts to
    /// other workers, keeps serving meanwhile, and returns from `run()` once the router says nothing
    /// routes here any more and every queued dispatch is answered. Leaves anyway after
    /// `configuration.drainTimeout`, at once when no router is connected, and on a second call.
    /// Safe from any thread.
    public func drain() {
        guard let reactor else {
            exit.finish(.success(()))
            return
        }
        reactor.schedule(after: .zero) { [weak self] _ in self?.beginDrain(requested: true) }
    }

    /// Reactor thread: the drain starts (our request, or the router's `Drain STARTED`).
    func beginDrain(requested: Bool) {
        switch drainState {
        case .serving:
            guard link.state == .registered else {
                leave(detail: "stopping: no router to drain from")
                return
            }
            drainState = .draining(deadline: .now + configuration.drainTimeout)
            logger.info("draining: the router moves this worker's experts elsewhere, then releases it", metadata: [
                "timeout": .stringConvertible(configuration.drainTimeout), "asked_by": .string(requested ? "worker" : "router"),
            ])
            if requested { sendDrainRequest() }
        case .draining:
            if requested { leave(detail: "stopping now: asked again while draining") }
        case .released:
            break
        }
    }

    /// Reactor thread: asks the router to drain this worker (again after a re-registration).
    func sendDrainRequest() {
        var drain = Switchyard_V1_Drain()
        drain.phase = .requested
        drain.detail = "worker \(configuration.workerID) is shutting down"
        send(.drain(drain))
    }

    /// Reactor thread: a `Drain` from the router.
    func received(_ drain: Switchyard_V1_Drain) {
        switch drain.phase {
        case .started:
            beginDrain(requested: false)
        case .released:
            guard drainState != .released else { return }
            // Only a drain under way (asked for by this worker, or started by the router) ends in
            // a release: an unsolicited one would make a serving worker leave.
            guard isDraining else {
                drop(.unexpectedKind, "drain released while this worker is not draining")
                return
            }
            drainState = .released
            // No more heartbeats or registrations: the router has forgotten this worker.
            link.stop()
            logger.info("released by the router: finishing queued dispatches, then leaving")
            // The compute thread runs in arrival order, so this runs after every queued dispatch
            // has been answered (replies are queued on the socket before the goodbye).
            let queued = computeThread.submit { [weak self] in
                self?.reactor?.schedule(after: .zero) { [weak self] _ in self?.leave(detail: "drained") }
            }
            if !queued { leave(detail: "drained") }
        case .requested, .unspecified, .UNRECOGNIZED:
            drop(.unexpectedKind, "drain \(drain.phase) is sent by a worker, never to it")
        }
    }

    /// Reactor thread: leaves when a drain has waited past its deadline.
    func checkDrainDeadline(now: ContinuousClock.Instant) {
        guard case .draining(let deadline) = drainState, now >= deadline else { return }
        logger.warning("drain timed out after \(configuration.drainTimeout): no other worker took this worker's experts; leaving anyway")
        leave(detail: "leaving: drain timed out")
    }

    /// Whether a drain is under way (not yet released).
    var isDraining: Bool {
        if case .draining = drainState { true } else { false }
    }
}
