import SwitchyardModel
import SwitchyardTensor

/// The expert backend of the router: every FFN runs on the workers.
public final class RemoteExpertBackend: ExpertBackend, Sendable {
    public let cluster: ClusterService
    /// Whether the compute pool's idle threads stop polling as a layer goes to the workers
    /// (`ParallelFor.parkIdleThreads`). Right with one micro-batch in flight: the replies are an
    /// expert phase away, and on cores shared with workers (`up`) the polling would keep a core from
    /// them. With two, the other micro-batch's attention usually runs next and wants them awake.
    public let parksComputeThreads: Bool
    /// What parking calls (tests count the calls).
    private let park: @Sendable () -> Void

    public convenience init(cluster: ClusterService, parksComputeThreads: Bool = true) {
        self.init(cluster: cluster, parksComputeThreads: parksComputeThreads, park: ParallelFor.parkIdleThreads)
    }

    init(cluster: ClusterService, parksComputeThreads: Bool, park: @escaping @Sendable () -> Void) {
        self.cluster = cluster
        self.parksComputeThreads = parksComputeThreads
        self.park = park
    }

    public func computeFFN(layer: Int, microBatch: Int, input: Matrix, routes: ExpertRoutes, output: Matrix) async throws {
        if parksComputeThreads { park() }
        try await cluster.computeFFN(layer: layer, microBatch: microBatch, input: input, routes: routes, output: output)
    }
}
