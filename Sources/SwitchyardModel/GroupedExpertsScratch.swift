import SwitchyardTensor

/// The plan and buffers of one grouped expert computation, reused across calls (single owner
/// while borrowed from `GroupedExperts`' pool).
///
/// A plan is a list of positions grouped by expert into segments; each position has an input row
/// (`sourceRows`, when rows are gathered), a gate weight and an output token. `tokenOffsets` /
/// `tokenPositions` index the positions of each token in increasing order for the scatter.
final class GroupedExpertsScratch: @unchecked Sendable {
    struct Segment {
        var expert: Int
        var start: Int
        var rows: Int
    }

    /// Experts with at least one row, in position order (until `sortSegmentsBySize`).
    var segments: [Segment] = []
    /// Rows in all segments.
    var positions = 0
    var largestSegment = 0
    /// Per position: the input row to gather (gathering plans only), the gate weight, the output token.
    private(set) var sourceRows: [Int32] = []
    private(set) var weights: [Float] = []
    private var tokensOfPositions: [Int32] = []
    /// `tokenPositions[tokenOffsets[t] ..< tokenOffsets[t + 1]]` are token `t`'s positions, increasing.
    private(set) var tokenOffsets: [Int] = []
    private(set) var tokenPositions: [Int32] = []
    private var cursor: [Int] = []

    let gathered: Matrix
    let results: Matrix
    /// Per worker thread: the gate-up output and the activation of the expert it is computing.
    private var hidden: [Matrix] = [Matrix(rows: 0, cols: 1)]
    private var activated: [Matrix] = [Matrix(rows: 0, cols: 1)]

    init(hidden: Int) {
        gathered = Matrix(rows: 0, cols: hidden)
        results = Matrix(rows: 0, cols: hidden)
    }

    /// A gathering plan from routes: a counting sort of the used route slots by expert id, each
    /// expert's slots in row order.
    func plan(routes: ExpertRoutes, experts: Int) {
        cursor.removeAll(keepingCapacity: true)
        cursor.append(contentsOf: repeatElement(0, count: experts + 1))
        for id in routes.expertIDs where id >= 0 { cursor[Int(id) + 1] += 1 }
        for e in 0..<experts { cursor[e + 1] += cursor[e] }
        positions = cursor[experts]
        segments.removeAll(keepingCapacity: true)
        largestSegment = 0
        for e in 0..<experts where cursor[e + 1] > cursor[e] {
            segments.append(Segment(expert: e, start: cursor[e], rows: cursor[e + 1] - cursor[e]))
            largestSegment = max(largestSegment, cursor[e + 1] - cursor[e])
        }
        resetPositions()
        let slots = routes.slotsPerRow
        for (slot, id) in routes.expertIDs.enumerated() where id >= 0 {
            let position = cursor[Int(id)]
            cursor[Int(id)] += 1
            sourceRows[position] = Int32(slot / slots)
            tokensOfPositions[position] = Int32(slot / slots)
            weights[position] = routes.weights[slot]
        }
        indexTokens(count: routes.rows)
    }

    /// A plan over rows already grouped by segment (a worker's dispatch).
    func plan<Segments: Sequence<(expert: Int, rows: Int)>>(
        segments given: Segments, weights gateWeights: [Float], tokenSlots: [UInt32], tokens: Int
    ) throws(GroupedExperts.PlanError) {
        segments.removeAll(keepingCapacity: true)
        largestSegment = 0
        var start = 0
        for (expert, rows) in given {
            if rows > 0 { segments.append(Segment(expert: expert, start: start, rows: rows)) }
            largestSegment = max(largestSegment, rows)
            start += rows
        }
        guard gateWeights.count == start, tokenSlots.count == start else {
            throw .rowCountMismatch(segments: start, weights: gateWeights.count, tokens: tokenSlots.count)
        }
        positions = start
        resetPositions()
        for p in 0..<start {
            let token = Int(tokenSlots[p])
            guard token < tokens else { throw .tokenOutOfRange(position: p, token: token, tokens: tokens) }
            tokensOfPositions[p] = Int32(token)
            weights[p] = gateWeights[p]
        }
        indexTokens(count: tokens)
    }

    private func resetPositions() {
        sourceRows.removeAll(keepingCapacity: true)
        sourceRows.append(contentsOf: repeatElement(0, count: positions))
        tokensOfPositions.removeAll(keepingCapacity: true)
        tokensOfPositions.append(contentsOf: repeatElement(0, count: positions))
        weights.removeAll(keepingCapacity: true)
        weights.append(contentsOf: repeatElement(0, count: positions))
    }

    /// A stable counting sort of the positions by token.
    private func indexTokens(count tokens: Int) {
        tokenOffsets.removeAll(keepingCapacity: true)
        tokenOffsets.append(contentsOf: repeatElement(0, count: tokens + 1))
        for p in 0..<positions { tokenOffsets[Int(tokensOfPositions[p]) + 1] += 1 }
        for t in 0..<tokens { tokenOffsets[t + 1] += tokenOffsets[t] }
        cursor.removeAll(keepingCapacity: true)
        cursor.append(contentsOf: tokenOffsets.prefix(tokens))
        tokenPositions.removeAll(keepingCapacity: true)
        tokenPositions.append(contentsOf: repeatElement(0, count: positions))
        for p in 0..<positions {
            let t = Int(tokensOfPositions[p])
            tokenPositions[cursor[t]] = Int32(p)
            cursor[t] += 1
        }
    }

    /// Orders `segments` by decreasing size (ties by expert id), so the longest jobs start first.
    func sortSegmentsBySize() {
        segments.sort { $0.rows != $1.rows ? $0.rows > $1.rows : $0.expert < $1.expert }
    }

    /// Makes per-worker buffers exist for `workers` threads (called before going concurrent).
    func reserveWorkers(_ workers: Int) {
        while hidden.count < workers {
            hidden.append(Matrix(rows: 0, cols: 1))
            activated.append(Matrix(rows: 0, cols: 1))
        }
    }

    /// Copies the input row of each of `positions` into the same row of `gathered`.
    func gather(input: UnsafePointer<Float>, positions range: Range<Int>, hidden: Int) {
        for position in range {
            gathered.row(position).update(from: input + Int(sourceRows[position]) * hidden, count: hidden)
        }
    }

    /// Worker `worker`'s buffers sized for `rows` rows of an expert of intermediate size `intermediate`.
    func buffers(worker: Int, rows: Int, intermediate: Int) -> (hidden: UnsafeMutablePointer<Float>, activated: UnsafeMutablePointer<Float>) {
        hidden[worker].resize(rows: rows * 2 * intermediate)
        activated[worker].resize(rows: rows * intermediate)
        return (hidden[worker].base, activated[worker].base)
    }
}
