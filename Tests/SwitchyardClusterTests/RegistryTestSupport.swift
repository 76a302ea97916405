import SwitchyardModel
@testable import SwitchyardCluster

/// What the registry tests share: a small model's expert keys and the assignments an action list holds.
enum RegistryTestSupport {
    /// Two layers of four experts.
    static let keys = (0 ..< 2).flatMap { layer in (0 ..< 4).map { ExpertKey(layer: layer, expert: $0) } }

    /// The `.assign` actions of `actions`, by worker id.
    static func assignments(_ actions: [WorkerRegistry.Action]) -> [String: (load: [ExpertKey], drop: [ExpertKey], version: UInt64)] {
        var result: [String: (load: [ExpertKey], drop: [ExpertKey], version: UInt64)] = [:]
        for case .assign(let id, let version, let load, let drop) in actions { result[id] = (load, drop, version) }
        return result
    }
}
