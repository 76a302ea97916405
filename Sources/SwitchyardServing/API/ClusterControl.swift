import ServiceLifecycle

/// What the HTTP API needs of an expert cluster: readiness, the `/v1/cluster` document, an admin
/// drain and its metrics. `SwitchyardCluster`'s router side implements it; `serve` has none, so this
/// module knows nothing of ZeroMQ.
public protocol ClusterControl: Service, Sendable {
    /// Ready when every expert has a live holder.
    func health() -> HealthReport
    /// The body of `GET /v1/cluster`.
    func status() -> ClusterStatus
    /// Starts a graceful drain of a worker (`POST /v1/cluster/workers/{id}/drain`).
    func drain(workerID: String) -> ClusterDrainOutcome
    /// Adds the cluster's series to `/metrics`.
    func registerMetrics(_ registry: PrometheusRegistry)
}

/// What an admin drain call did.
public enum ClusterDrainOutcome: Sendable, Equatable {
    /// The drain began: the worker's experts move elsewhere, then it is released.
    case started
    /// The worker was already draining.
    case alreadyDraining
    /// No registered worker has this id.
    case unknownWorker
}
