/// Which holder computes each expert of one layer's dispatch, when experts have several holders
/// (`--replicas`).
///
/// Longest-processing-time-first: experts in decreasing order of the rows routed to them this layer,
/// each given to the holder with the fewest rows so far (its rows already in flight, from other
/// micro-batches, plus those chosen here), ties to the smaller worker id. A worker's time is about
/// proportional to its rows, so the layer ends when the busiest worker does; choosing each expert
/// by in-flight rows alone sent every expert of a layer to the same worker (nothing was in flight
/// when they were chosen).
///
/// Pure: the router calls it under its state lock with the routing table and tracker's loads.
enum HolderChoice {
    /// - Parameters:
    ///   - rowsPerExpert: rows routed to each expert this layer (only experts with rows are assigned).
    ///   - holders: the live holders of an expert (nil or empty when none).
    ///   - inFlight: rows each worker is computing already.
    /// - Returns: the chosen worker per expert with rows, or the experts without a holder.
    static func choose(
        rowsPerExpert: [Int: Int], holders: (Int) -> [String]?, inFlight: [String: Int]
    ) -> Result<[Int: String], MissingHolders> {
        let order = rowsPerExpert.filter { $0.value > 0 }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        var load = inFlight
        var chosen: [Int: String] = [:]
        var missing: [Int] = []
        for (expert, rows) in order {
            guard let candidates = holders(expert), !candidates.isEmpty else {
                missing.append(expert)
                continue
            }
            let best = candidates.min { (load[$0] ?? 0, $0) < (load[$1] ?? 0, $1) }!
            load[best, default: 0] += rows
            chosen[expert] = best
        }
        return missing.isEmpty ? .success(chosen) : .failure(MissingHolders(experts: missing.sorted()))
    }

    /// Experts routed to that no live worker holds.
    struct MissingHolders: Error, Equatable {
        let experts: [Int]
    }
}
