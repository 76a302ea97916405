import SwitchyardTensor

/// Buffers of one grouped expert computation, reused across calls (single owner while borrowed).
final class LocalExpertBackendScratch: @unchecked Sendable {
    /// Route slots (`row * slotsPerRow + slot`) sorted by expert.
    var order: [Int32] = []
    /// `offsets[e] ..< offsets[e + 1]` are expert `e`'s entries of `order`.
    var offsets: [Int] = []
    private var cursor: [Int] = []
    var assigned = 0
    let gathered: Matrix
    let results: Matrix
    let hidden = Matrix(rows: 0, cols: 1)
    let activated = Matrix(rows: 0, cols: 1)

    init(hidden: Int) {
        gathered = Matrix(rows: 0, cols: hidden)
        results = Matrix(rows: 0, cols: hidden)
    }

    /// Counting sort of the used route slots by expert id.
    func prepare(routes: ExpertRoutes, experts: Int) {
        offsets.removeAll(keepingCapacity: true)
        offsets.append(contentsOf: repeatElement(0, count: experts + 1))
        for id in routes.expertIDs where id >= 0 { offsets[Int(id) + 1] += 1 }
        for e in 0..<experts { offsets[e + 1] += offsets[e] }
        assigned = offsets[experts]
        cursor.removeAll(keepingCapacity: true)
        cursor.append(contentsOf: offsets.prefix(experts))
        order.removeAll(keepingCapacity: true)
        order.append(contentsOf: repeatElement(0, count: assigned))
        for (slot, id) in routes.expertIDs.enumerated() where id >= 0 {
            order[cursor[Int(id)]] = Int32(slot)
            cursor[Int(id)] += 1
        }
    }
}
