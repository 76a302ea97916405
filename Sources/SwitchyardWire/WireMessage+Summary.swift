extension WireMessage: CustomStringConvertible {
    /// One short line for logs: the kind and the ids that identify the message, never the rows.
    public var description: String {
        switch self {
        case .register(let m):
            return "register worker=\(m.workerID) threads=\(m.capacity.threads) held=\(m.held.count) pinned=\"\(m.pinnedSpec)\""
        case .welcome(let m):
            return "welcome router=\(m.routerID) heartbeat=\(m.heartbeatIntervalMs)ms liveness=\(m.liveness)"
        case .refusal(let m):
            return "refusal code=\(m.code) text=\"\(m.text)\""
        case .assignment(let m):
            return "assignment version=\(m.placementVersion) load=\(m.load.count) drop=\(m.drop.count)"
        case .assignmentAck(let m):
            return "assignment-ack version=\(m.placementVersion) loaded=\(m.loaded.count) failed=\(m.failed.count)"
        case .heartbeat(let m):
            return "heartbeat seq=\(m.sequence) version=\(m.placementVersion) queued=\(m.queuedDispatches)"
        case .disconnect(let m):
            return "disconnect reason=\(m.reason) detail=\"\(m.detail)\""
        case .drain(let m):
            return "drain phase=\(m.phase) detail=\"\(m.detail)\""
        case .dispatch(let h, let rows):
            return "dispatch id=\(h.dispatchID) step=\(h.step) mb=\(h.microBatch) layer=\(h.layer) "
                + "segments=\(h.segments.count) rows=\(h.totalRows) tokens=\(h.tokenCount) \(h.dtype.wireName) bytes=\(rows.count)"
        case .reply(let h, let rows):
            let status = h.status == .ok ? "ok" : "error=\"\(h.error)\""
            return "reply id=\(h.dispatchID) step=\(h.step) mb=\(h.microBatch) layer=\(h.layer) rows=\(h.rows) "
                + "\(status) compute=\(h.computeMicros)us bytes=\(rows?.count ?? 0)"
        }
    }
}
