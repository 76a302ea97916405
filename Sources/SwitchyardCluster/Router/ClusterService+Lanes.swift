import SwitchyardWire
import SwitchyardZMQ

/// A worker's shared-memory lane as the router holds it (`SharedMemoryLane`).
package struct RouterLane {
    let lane: SharedMemoryLane
    /// The registration it came with: dispatches use it only while the worker has this routing id.
    let routingID: [UInt8]
    /// One per doorbell descriptor the lane polls.
    let watches: [WatchHandle]
}

extension ClusterService {
    /// Workers whose lane the router uses.
    var laneCount: Int { state.withLock { $0.lanes.count } }

    /// Reactor thread, on an accepted registration (before its `Welcome`, which says whether the
    /// lane is used): maps the lane the worker offers, replacing any lane of an earlier
    /// registration. A lane that cannot be opened is what a worker on another host offers: logged,
    /// not an error.
    func adoptLane(_ offer: Switchyard_V1_LocalLane?, worker: String, routingID: [UInt8]) {
        let unchanged = state.withLock { state in
            guard let offer, let entry = state.lanes[worker] else { return false }
            return entry.routingID == routingID && entry.lane.path == offer.path && entry.lane.token == [UInt8](offer.token)
        }
        if unchanged { return }  // the same registration again (a retry): the lane is mapped already
        var entry: RouterLane?
        if let offer, configuration.acceptsLocalLanes, let reactor {
            do {
                let lane = try SharedMemoryLane.open(path: offer.path, token: [UInt8](offer.token))
                let watches = lane.readableFDs.map { fd in
                    reactor.watch(fd: fd) { [weak self] _ in self?.receiveFromLane(lane, worker: worker) }
                }
                entry = RouterLane(lane: lane, routingID: routingID, watches: watches)
            } catch {
                logger.info("worker's shared-memory lane not usable (another host?): dispatches go over ZeroMQ",
                            metadata: ["worker": "\(worker)", "reason": "\(error)"])
            }
        }
        let old = state.withLock { state -> RouterLane? in
            let old = state.lanes.removeValue(forKey: worker)
            if let entry { state.lanes[worker] = entry }
            return old
        }
        if let old { old.watches.forEach { reactor?.unwatch($0) } }
        if let entry {
            logger.info("mapped the worker's shared-memory lane: its dispatches skip ZeroMQ",
                        metadata: ["worker": "\(worker)", "doorbells": "\(entry.lane.doorbellKind.rawValue)"])
        }
    }

    /// Forgets `worker`'s lane unless it belongs to the worker's current registration (a worker
    /// lost, evicted or released; not the new incarnation of one that re-registered).
    func closeStaleLane(worker: String) {
        let stale = state.withLock { state -> RouterLane? in
            guard let entry = state.lanes[worker], state.registry.workers[worker]?.routingID != entry.routingID else { return nil }
            return state.lanes.removeValue(forKey: worker)
        }
        if let stale { stale.watches.forEach { reactor?.unwatch($0) } }
    }

    /// Reactor thread, when a lane's doorbell rang: handles every reply waiting in it as if it had
    /// come on the socket. A malformed record ends the lane (later dispatches go over ZeroMQ).
    func receiveFromLane(_ lane: SharedMemoryLane, worker: String) {
        lane.drainDoorbell()
        while true {
            let current = state.withLock { $0.lanes[worker]?.lane === lane }
            guard current else { return }  // replaced or closed: what is left in it is moot
            let frames: [FrameBytes]
            do {
                guard let next = try lane.receiveFrames() else { return }
                frames = next
            } catch {
                logger.error("dropping a worker's shared-memory lane", metadata: ["worker": "\(worker)", "error": "\(error)"])
                let dropped = state.withLock { state -> RouterLane? in
                    state.stats.lanesBroken += 1
                    return state.lanes.removeValue(forKey: worker)
                }
                if let dropped { dropped.watches.forEach { reactor?.unwatch($0) } }
                return
            }
            let decoded: WireMessage
            do {
                decoded = try decoder.decode(frames)
            } catch {
                drop(error.reason, from: worker, detail: "lane: \(error.description)")
                continue
            }
            guard case .reply(let reply, let rows) = decoded else {
                drop(.unexpectedKind, from: worker, detail: "lane: \(decoded.kind) messages go over the socket")
                continue
            }
            state.withLock { $0.registry.heard(id: worker, now: .now) }
            handleReply(reply, rows: rows, from: worker)
        }
    }
}
