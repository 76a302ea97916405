import SwitchyardModel

/// Where the rows of a dispatch go when its worker cannot answer (it died, refused or timed out):
/// a pure function of the dispatch's experts, the routing table and the holders' load.
///
/// One holder that has every expert is preferred (one message, the worker's own sum unchanged);
/// otherwise each expert goes to a holder already chosen for another expert when it has it, else to
/// its least loaded live holder. Workers in `excluded` (the one that failed, and any tried before)
/// are never chosen.
public enum DispatchRescue {
    /// The new holders, each with the experts of the dispatch it takes; or the keys no eligible
    /// worker holds.
    public enum Plan: Sendable, Equatable {
        case resend([String: Set<UInt32>])
        case noHolder([ExpertKey])
    }

    public static func plan(experts: [UInt32], layer: Int, routing: [ExpertKey: [String]], load: [String: Int],
                            excluded: Set<String>) -> Plan {
        let candidates = experts.map { expert in
            (expert, (routing[ExpertKey(layer: layer, expert: Int(expert))] ?? []).filter { !excluded.contains($0) })
        }
        let missing = candidates.filter { $0.1.isEmpty }.map { ExpertKey(layer: layer, expert: Int($0.0)) }
        guard missing.isEmpty else { return .noHolder(missing) }
        func lighter(_ a: String, _ b: String) -> Bool { (load[a] ?? 0, a) < (load[b] ?? 0, b) }

        var everyone = Set(candidates.first?.1 ?? [])
        for (_, holders) in candidates.dropFirst() { everyone.formIntersection(holders) }
        if let single = everyone.min(by: lighter) {
            return .resend([single: Set(experts)])
        }
        var groups: [String: Set<UInt32>] = [:]
        for (expert, holders) in candidates {
            let chosen = holders.filter { groups[$0] != nil }.min(by: lighter) ?? holders.min(by: lighter)!
            groups[chosen, default: []].insert(expert)
        }
        return .resend(groups)
    }
}
