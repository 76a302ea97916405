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

    public init(cluster: ClusterService, parksComputeThreads: Bool = true) {
        self.cluster = cluster
        self.parksComputeThreads = parksComputeThreads
    }

    public func computeFFN(layer: Int, microBatch: Int, input: Matrix, routes: ExpertRoutes, output: Matrix) async throws {
        if parksComputeThreads { ParallelFor.parkIdleThreads() }
        try await cluster.computeFFN(layer: layer, microBatch: microBatch, input: input, routes: routes, output: output)
    }
}
