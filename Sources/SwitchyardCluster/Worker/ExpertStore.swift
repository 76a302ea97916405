import SwitchyardModel

/// The FFN experts a worker holds, by layer and expert id.
///
/// Single owner: only the worker's compute thread reads and changes it (dispatches and the
/// apply step of assignments run there in arrival order), so it needs no lock.
final class ExpertStore: @unchecked Sendable {
    private var experts: [[ExpertFFN?]]
    /// Bytes of expert weights held.
    private(set) var residentBytes = 0

    /// Slots for every unit of `slicing` (whole experts: one per expert).
    init(config: ModelConfig, slicing: ExpertSlicing = .whole) {
        experts = (0..<config.numLayers).map { Array(repeating: nil, count: slicing.units(layer: $0, config: config)) }
    }

    /// The expert, or nil when not held or out of range.
    @inline(__always)
    func expert(layer: Int, expert: Int) -> ExpertFFN? {
        guard layer >= 0, layer < experts.count, expert >= 0, expert < experts[layer].count else { return nil }
        return experts[layer][expert]
    }

    /// Drops `drop`, then adds `add` (keys outside the model are ignored: the loader rejected them).
    func apply(add: [ExpertKey: ExpertFFN], drop: [ExpertKey]) {
        for key in drop { set(key, nil) }
        for (key, ffn) in add { set(key, ffn) }
    }

    /// Every expert held, in (layer, expert) order.
    var heldKeys: [ExpertKey] {
        var keys: [ExpertKey] = []
        for (layer, row) in experts.enumerated() {
            for (expert, ffn) in row.enumerated() where ffn != nil { keys.append(ExpertKey(layer: layer, expert: expert)) }
        }
        return keys
    }

    private func set(_ key: ExpertKey, _ ffn: ExpertFFN?) {
        guard key.layer >= 0, key.layer < experts.count, key.expert >= 0, key.expert < experts[key.layer].count else { return }
        residentBytes -= experts[key.layer][key.expert]?.byteCount ?? 0
        experts[key.layer][key.expert] = ffn
        residentBytes += ffn?.byteCount ?? 0
    }
}
