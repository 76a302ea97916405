import SwitchyardModel

/// Decides which workers hold which experts: a pure function of the model's experts, the live
/// workers (with their pins) and what they hold now.
///
/// * A pinned worker holds exactly the keys whose expert id it pins.
/// * Every other key goes to the unpinned workers, `replicas` holders each where there are
///   enough, balanced by count. Keys already held stay where they are unless balance needs
///   them moved, so a join or a leave moves as little as possible.
/// * A key nobody can hold stays unassigned; the router reports it as missing.
public enum Placement {
    /// One live worker as placement sees it.
    public struct Worker: Sendable, Equatable {
        public var id: String
        public var pinned: Set<Int>?
        public init(id: String, pinned: Set<Int>? = nil) {
            self.id = id
            self.pinned = pinned
        }
    }

    /// The target holdings of every worker.
    public static func plan(keys: [ExpertKey], workers: [Worker], replicas: Int = 1,
                            current: [String: Set<ExpertKey>] = [:]) -> [String: Set<ExpertKey>] {
        let replicas = max(1, replicas)
        var target: [String: Set<ExpertKey>] = [:]
        let free = workers.filter { $0.pinned == nil }.map(\.id).sorted()
        for worker in workers {
            if let pinned = worker.pinned {
                target[worker.id] = Set(keys.filter { pinned.contains($0.expert) })
            } else {
                target[worker.id] = []
            }
        }
        guard !free.isEmpty else { return target }

        let pinnedCover = Dictionary(grouping: workers.filter { $0.pinned != nil }.flatMap { target[$0.id] ?? [] }, by: { $0 })
            .mapValues(\.count)
        // Keys the free workers must carry, and how many copies of each.
        var needs: [(key: ExpertKey, copies: Int)] = []
        for key in keys.sorted() {
            let count = min(free.count, replicas - (pinnedCover[key] ?? 0))
            if count > 0 { needs.append((key, count)) }
        }
        let total = needs.reduce(0) { $0 + $1.copies }
        // Each free worker carries floor or ceil of the average.
        let base = total / free.count
        let extra = total % free.count

        var load: [String: Int] = Dictionary(uniqueKeysWithValues: free.map { ($0, 0) })
        var quota: [String: Int] = [:]
        // Workers that already hold the most get the ceil quotas, so fewer keys move.
        let byHeld = free.sorted { (current[$0]?.count ?? 0, $1) > (current[$1]?.count ?? 0, $0) }
        for (index, id) in byHeld.enumerated() { quota[id] = base + (index < extra ? 1 : 0) }

        var unplaced: [(ExpertKey, Int)] = []
        // First keep what is already held, within quota.
        for (key, copies) in needs {
            var remaining = copies
            for id in free where remaining > 0 {
                if current[id]?.contains(key) == true, load[id]! < quota[id]! {
                    target[id]!.insert(key)
                    load[id]! += 1
                    remaining -= 1
                }
            }
            if remaining > 0 { unplaced.append((key, remaining)) }
        }
        // Then place the rest on the least-loaded workers under quota that lack the key.
        for (key, copies) in unplaced {
            for _ in 0 ..< copies {
                let candidates = free.filter { !target[$0]!.contains(key) && load[$0]! < quota[$0]! }
                let pool = candidates.isEmpty ? free.filter { !target[$0]!.contains(key) } : candidates
                guard let id = pool.min(by: { (load[$0]!, $0) < (load[$1]!, $1) }) else { break }
                target[id]!.insert(key)
                load[id]! += 1
            }
        }
        return target
    }
}
