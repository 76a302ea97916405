/// Which tensors of a checkpoint a process maps and may read.
///
/// The router loads `.nonExperts` (attention, norms, gates, embeddings, head); a worker loads
/// `.experts(keys)`, only the FFN tensors of the experts it hosts, so it never pages in the rest.
public enum TensorFilter: Sendable, Equatable, CustomStringConvertible {
    /// Every tensor.
    case all
    /// Everything except FFN expert weights (routed, shared and dense MLPs).
    case nonExperts
    /// Only the FFN weights of these experts.
    case experts(Set<ExpertKey>)

    /// Whether a tensor with this role is loaded.
    func includes(_ role: TensorRole) -> Bool {
        switch (self, role) {
        case (.all, _): true
        case (.nonExperts, .other): true
        case (.nonExperts, _): false
        case (.experts, .other): false
        case let (.experts(keys), .expert(key, _)): keys.contains(key)
        case let (.experts(keys), .fusedExperts(layer, _)): keys.contains { $0.layer == layer }
        }
    }

    public var description: String {
        switch self {
        case .all: "all tensors"
        case .nonExperts: "non-expert tensors only"
        case let .experts(keys):
            "experts " + keys.sorted().prefix(8).map(\.description).joined(separator: ",")
                + (keys.count > 8 ? ",... (\(keys.count))" : "")
        }
    }
}
