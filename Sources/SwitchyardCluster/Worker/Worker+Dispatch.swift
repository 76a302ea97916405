import SwitchyardWire
import SwitchyardZMQ

extension Worker {
    /// Reactor thread: computes a small dispatch right here when the compute thread is idle (its
    /// reply then leaves without two thread hand-overs), else queues it on the compute thread
    /// (arrival order). The reply goes back through `lane` when the dispatch came through it.
    func dispatch(_ header: Switchyard_V1_DispatchHeader, rows: TensorBytes, lane: SharedMemoryLane? = nil) {
        let total = Int(header.totalRows)
        if inlineLimit.allows(total) {
            let started = ContinuousClock.now
            if computeThread.runHereIfIdle({ compute(header, rows: rows, inline: true, lane: lane) }) {
                // A tenth of the heartbeat interval in force (the router's, once welcomed).
                inlineLimit.observed(rows: total, elapsed: ContinuousClock.now - started, maxPause: link.heartbeatInterval / 10)
                return
            }
        }
        let queued = computeThread.submit { [self] in compute(header, rows: rows, inline: false, lane: lane) }
        if !queued {
            reply(.reply(.failure(answering: header, error: "worker \(configuration.workerID) is shutting down"), rows: nil), lane: lane)
        }
    }

    /// Compute thread (or the reactor in its place): runs the experts, combines, replies (rows sent zero-copy from a pooled buffer).
    private func compute(_ header: Switchyard_V1_DispatchHeader, rows: TensorBytes, inline: Bool, lane: SharedMemoryLane?) {
        let started = ContinuousClock.now
        switch computer.compute(header, rows: rows, store: store) {
        case .success(let output):
            let elapsed = ContinuousClock.now - started
            let micros = UInt64(max(0, elapsed.seconds * 1e6))
            shared.withLock {
                $0.statistics.dispatchesServed += 1
                if inline { $0.statistics.dispatchesInline += 1 }
                if lane != nil { $0.statistics.dispatchesViaLane += 1 }
            }
            reply(.reply(.answering(header, dtype: header.dtype == .bf16 ? .bf16 : .f32, computeMicros: micros), rows: output), lane: lane)
            // Nothing queued behind this one (`pending` counts the job running on the compute
            // thread, this one when not inline): the next dispatch is a router phase away.
            if computeThread.pending == (inline ? 0 : 1) { configuration.parkComputeThreads() }
        case .failure(let failure):
            logger.warning("dispatch \(header.dispatchID) (layer \(header.layer)) failed: \(failure)")
            shared.withLock { $0.statistics.dispatchesFailed += 1 }
            reply(.reply(.failure(answering: header, error: failure.description), rows: nil), lane: lane)
        }
    }
}
