import SwitchyardTensor

/// Buffers of one grouped expert computation, reused across calls (single owner while borrowed).
final class LocalExpertBackendScratch: @unchecked Sendable {
    /// Route slots (`row * slotsPerRow + slot`) sorted by expert.
    var order: [Int32] = []
    /// `offsets[e] ..< offsets[e + 1]` are expert `e`'s entries of `order`.
    var offsets: [Int] = []
    private var cursor: [Int] = []
    /// `slotPosition[slot]` is the slot's index in `order` (its row of `gathered`/`results`), -1 if unrouted.
    var slotPosition: [Int32] = []
    var assigned = 0
    /// The routes' slots per row (maps an entry of `order` back to its input row).
    private var slotsPerRow = 1
    /// Rows of the largest expert group.
    var largestGroup = 0
    /// Experts with at least one row (`sortActiveExpertsBySize` orders them largest first).
    var activeExperts: [Int] = []
    let gathered: Matrix
    let results: Matrix
    /// Per worker thread: the gate-up output and the activation of the expert it is computing.
    private var hidden: [Matrix] = [Matrix(rows: 0, cols: 1)]
    private var activated: [Matrix] = [Matrix(rows: 0, cols: 1)]

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
        slotPosition.removeAll(keepingCapacity: true)
        slotPosition.append(contentsOf: repeatElement(-1, count: routes.expertIDs.count))
        for (slot, id) in routes.expertIDs.enumerated() where id >= 0 {
            order[cursor[Int(id)]] = Int32(slot)
            slotPosition[slot] = Int32(cursor[Int(id)])
            cursor[Int(id)] += 1
        }
        largestGroup = 0
        activeExperts.removeAll(keepingCapacity: true)
        for e in 0..<experts where offsets[e + 1] > offsets[e] {
            activeExperts.append(e)
            largestGroup = max(largestGroup, offsets[e + 1] - offsets[e])
        }
        slotsPerRow = routes.slotsPerRow
    }

    /// Orders `activeExperts` by decreasing group size (ties by id), so the longest jobs start first.
    func sortActiveExpertsBySize() {
        let offsets = self.offsets
        activeExperts.sort { a, b in
            let ra = offsets[a + 1] - offsets[a], rb = offsets[b + 1] - offsets[b]
            return ra != rb ? ra > rb : a < b
        }
    }

    /// Makes per-worker buffers exist for `workers` threads (called before going concurrent).
    func reserveWorkers(_ workers: Int) {
        while hidden.count < workers {
            hidden.append(Matrix(rows: 0, cols: 1))
            activated.append(Matrix(rows: 0, cols: 1))
        }
    }

    /// Copies the input rows of `order[positions]` into the same rows of `gathered`.
    func gather(input: Matrix, positions: Range<Int>) {
        for pos in positions {
            let row = Int(order[pos]) / slotsPerRow
            gathered.row(pos).update(from: input.row(row), count: input.cols)
        }
    }

    /// Worker `worker`'s buffers sized for `rows` rows of an expert of intermediate size `intermediate`.
    func buffers(worker: Int, rows: Int, intermediate: Int) -> (hidden: UnsafeMutablePointer<Float>, activated: UnsafeMutablePointer<Float>) {
        hidden[worker].resize(rows: rows * 2 * intermediate)
        activated[worker].resize(rows: rows * intermediate)
        return (hidden[worker].base, activated[worker].base)
    }
}
