import SwitchyardWire
import SwitchyardZMQ

/// The worker's shared-memory lane (`SharedMemoryLane`), made per connection.
struct WorkerLane {
    let lane: SharedMemoryLane
    /// One per doorbell descriptor the lane polls (its FIFO and its eventfd).
    let watches: [WatchHandle]
    /// The router mapped it (and its files are gone): a new router cannot map it again.
    var accepted = false
}

extension Worker {
    /// Reactor thread, on each new connection: replaces the lane with a fresh one (when the
    /// configuration offers one) for the `Register` to name. Failing to make one is logged; the
    /// worker then works over ZeroMQ alone.
    func renewLane() {
        dropLane()
        guard configuration.offersLocalLane, let reactor else { return }
        do {
            let lane = try SharedMemoryLane.create(capacity: configuration.localLaneBytes)
            let watches = lane.readableFDs.map { fd in reactor.watch(fd: fd) { [weak self] _ in self?.receiveFromLane(lane) } }
            self.lane = WorkerLane(lane: lane, watches: watches)
            shared.withLock { $0.statistics.lanePath = lane.path }
        } catch {
            logger.warning("cannot make a shared-memory lane: dispatches go over ZeroMQ only", metadata: ["error": .string("\(error)")])
        }
    }

    /// Reactor thread: stops using the lane and removes its files.
    func dropLane() {
        guard let current = lane else { return }
        lane = nil
        current.lane.unlink()
        current.watches.forEach { reactor?.unwatch($0) }
        shared.withLock { $0.statistics.laneAccepted = false }
    }

    /// Reactor thread, on `Welcome`: the router mapped the lane (its files can go, the mapping
    /// stays) or did not (the lane is dropped).
    func welcomed(laneAccepted: Bool) {
        guard let current = lane else { return }
        if laneAccepted {
            current.lane.unlink()
            lane?.accepted = true
            shared.withLock { $0.statistics.laneAccepted = true }
            logger.info("the router mapped this worker's shared-memory lane: dispatches skip ZeroMQ",
                        metadata: ["doorbells": "\(current.lane.doorbellKind.rawValue)"])
        } else {
            dropLane()
        }
    }

    /// Reactor thread, before registering again on the same connection (the router restarted and
    /// does not know this worker): a lane an earlier router mapped has no files left for the new
    /// one to open, so a fresh lane replaces it.
    func renewLaneIfMapped() {
        if lane?.accepted == true { renewLane() }
    }

    /// What `Register` says about the lane (nil when there is none).
    var laneOffer: Switchyard_V1_LocalLane? {
        guard let current = lane else { return nil }
        var offer = Switchyard_V1_LocalLane()
        offer.path = current.lane.path
        offer.token = .init(current.lane.token)
        return offer
    }

    /// Reactor thread, when the lane's doorbell rang: every dispatch waiting in it, handled as if it
    /// had come on the socket; their replies go back through the lane. A malformed record ends the lane.
    func receiveFromLane(_ lane: SharedMemoryLane) {
        lane.drainDoorbell()
        while self.lane?.lane === lane {
            let frames: [FrameBytes]
            do {
                guard let next = try lane.receiveFrames() else { return }
                frames = next
            } catch {
                logger.error("dropping the shared-memory lane: \(error)")
                dropLane()
                return
            }
            let decoded: WireMessage
            do {
                decoded = try decoder.decode(frames)
            } catch {
                drop(error.reason, "lane: \(error.description)")
                continue
            }
            guard case .dispatch(let header, let rows) = decoded else {
                drop(.unexpectedKind, "lane: \(decoded.kind) messages go over the socket")
                continue
            }
            link.heard(now: .now)
            dispatch(header, rows: rows, lane: lane)
        }
    }

    /// Sends a reply through `lane` when the dispatch came that way and it has room, else on the
    /// socket (where `send` drops it once the worker is stopping). Any thread.
    func reply(_ message: WireMessage, lane: SharedMemoryLane?) {
        if let lane, !shared.withLock({ $0.stopping }), let frames = try? message.encode(), lane.send(frames: frames) == .sent { return }
        send(message)
    }
}
