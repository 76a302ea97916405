import SwitchyardServing

extension ClusterService {
    /// The body of `GET /v1/cluster`: the snapshot and the readiness of one moment.
    public func status() -> ClusterStatus {
        ClusterStatus(snapshot(), health: health())
    }
}

extension ClusterStatus {
    /// The JSON document of a snapshot.
    init(_ snapshot: ClusterSnapshot, health: HealthReport) {
        self.init(
            status: health.status, ready: health.ready, placementVersion: snapshot.placementVersion,
            workers: snapshot.workers.map {
                Worker(id: $0.id, state: $0.state.rawValue, experts: $0.experts, held: $0.held, targetExperts: $0.target,
                       inFlightRows: $0.inFlightRows, queuedDispatches: $0.queuedDispatches, residentBytes: $0.residentBytes,
                       pinned: $0.pinned, lastHeartbeatAgeSeconds: ($0.lastHeardSeconds * 1000).rounded() / 1000,
                       reason: $0.reason)
            },
            missingExperts: snapshot.missing, missing: health.detail["missing_experts"],
            dispatches: snapshot.statistics.dispatches, bytesSent: snapshot.statistics.bytesSent,
            bytesReceived: snapshot.statistics.bytesReceived,
            droppedMessages: Dictionary(uniqueKeysWithValues: snapshot.drops.all.filter { $0.count > 0 }.map { ($0.reason.label, $0.count) }),
            refusedRegistrations: snapshot.refusedRegistrations, resends: snapshot.statistics.resends,
            timeouts: snapshot.statistics.timeouts, failedCalls: snapshot.statistics.failedCalls
        )
    }
}
