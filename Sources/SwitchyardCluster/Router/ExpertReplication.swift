import SwitchyardModel

/// How many copies each expert gets when there is room for more than one per expert: the hottest
/// experts first, from per-expert token counts (DeepSeek's EPLB idea). Pure.
///
/// Every key starts with one copy; each further slot goes to the key whose load per copy is the
/// highest (ties: the smaller key), never above `maxCopies` (the number of workers that could hold
/// it). Feed the result to ``Placement/plan(keys:workers:replicas:current:copies:)``.
public enum ExpertReplication {
    /// - Parameters:
    ///   - keys: every (layer, expert) to place.
    ///   - load: tokens routed to each key over a recent window (missing = 0).
    ///   - slots: copies in total the workers can hold (at least `keys.count` for one copy each).
    ///   - maxCopies: most copies of one key (distinct holders).
    public static func copies(keys: [ExpertKey], load: [ExpertKey: UInt64], slots: Int, maxCopies: Int) -> [ExpertKey: Int] {
        var copies = Dictionary(uniqueKeysWithValues: keys.map { ($0, 1) })
        let cap = max(1, maxCopies)
        var spare = slots - keys.count
        let ordered = keys.sorted()
        while spare > 0 {
            var best: ExpertKey?
            var bestShare = -1.0
            for key in ordered where copies[key]! < cap {
                let share = Double(load[key] ?? 0) / Double(copies[key]!)
                if share > bestShare { best = key; bestShare = share }
            }
            guard let chosen = best, bestShare > 0 else { break }
            copies[chosen]! += 1
            spare -= 1
        }
        return copies
    }
}
