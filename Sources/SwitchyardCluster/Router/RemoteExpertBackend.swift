import SwitchyardModel
import SwitchyardTensor

/// The expert backend of the router: every FFN runs on the workers.
public final class RemoteExpertBackend: ExpertBackend, Sendable {
    public let cluster: ClusterService
    public init(cluster: ClusterService) { self.cluster = cluster }

    public func computeFFN(layer: Int, microBatch: Int, input: Matrix, routes: ExpertRoutes, output: Matrix) async throws {
        try await cluster.computeFFN(layer: layer, microBatch: microBatch, input: input, routes: routes, output: output)
    }
}
