import SwitchyardTensor
/// Packs the token rows of one MoE layer into one dispatch per worker, grouped by expert.
///
/// Input: the batch's `tokens x hidden` rows, each token's `k` selected experts and gate weights
/// (always-selected shared experts included as extra columns), and the layer's owner map
/// `expert -> worker`. Output: one ``WorkerDispatch`` per worker with rows, in increasing worker
/// order, each with its rows grouped by increasing expert id and, within an expert, in token
/// order; a token's reply slot is its rank among the tokens touching that worker.
///
/// Pure; keeps its per-expert and per-worker scratch between calls so that packing allocates only
/// the payloads it returns. Not thread-safe: one packer per thread (a value type, so copies are
/// independent).
public struct RowPacker: Sendable {
    public let hiddenSize: Int
    public let expertsPerLayer: Int

    private var rowsPerExpert: [Int]
    private var nextRow: [Int]
    private var rowsPerWorker: [Int]
    private var tokensPerWorker: [Int]
    private var lastToken: [Int]

    /// A packer for rows of `hiddenSize` elements and experts `0..<expertsPerLayer`.
    public init(hiddenSize: Int, expertsPerLayer: Int) {
        self.hiddenSize = max(hiddenSize, 1)
        self.expertsPerLayer = max(expertsPerLayer, 1)
        rowsPerExpert = [Int](repeating: 0, count: self.expertsPerLayer)
        nextRow = rowsPerExpert
        rowsPerWorker = []
        tokensPerWorker = []
        lastToken = []
    }

    /// Packs one layer's routing decision.
    ///
    /// - Parameters:
    ///   - tokens: `tokenCount x hiddenSize` f32 rows.
    ///   - experts: `tokenCount x k` selected expert ids, row-major.
    ///   - weights: `tokenCount x k` gate weights matching `experts`.
    ///   - owners: `expertsPerLayer` worker indices, -1 for an expert without holder.
    ///   - workerCount: number of workers the owner map refers to.
    ///   - dtype: the element type of the packed rows: f32 (as given) or bf16 (rounded to nearest
    ///     even, half the bytes).
    public mutating func pack(
        tokens: UnsafeBufferPointer<Float>,
        experts: UnsafeBufferPointer<Int32>,
        weights: UnsafeBufferPointer<Float>,
        owners: [Int],
        workerCount: Int,
        dtype: Switchyard_V1_DType = .f32
    ) throws(RowPackingError) -> [WorkerDispatch] {
        let elementSize = dtype == .bf16 ? 2 : 4
        let hidden = hiddenSize
        guard tokens.count % hidden == 0 else {
            throw .sizeMismatch(what: "tokens", expected: (tokens.count / hidden + 1) * hidden, actual: tokens.count)
        }
        let tokenCount = tokens.count / hidden
        guard tokenCount > 0 else { return [] }
        guard experts.count % tokenCount == 0, experts.count > 0 else {
            throw .sizeMismatch(what: "experts", expected: tokenCount * max(experts.count / tokenCount, 1), actual: experts.count)
        }
        let k = experts.count / tokenCount
        guard weights.count == experts.count else {
            throw .sizeMismatch(what: "weights", expected: experts.count, actual: weights.count)
        }
        guard owners.count == expertsPerLayer else {
            throw .sizeMismatch(what: "owners", expected: expertsPerLayer, actual: owners.count)
        }
        guard workerCount >= 1 else { throw .sizeMismatch(what: "workers", expected: 1, actual: workerCount) }

        resetScratch(workerCount: workerCount)
        try countRows(experts: experts, k: k, owners: owners, workerCount: workerCount)

        var segments = [[Switchyard_V1_Segment]](repeating: [], count: workerCount)
        for expert in 0..<expertsPerLayer where rowsPerExpert[expert] > 0 {
            let worker = owners[expert]
            nextRow[expert] = rowsPerWorker[worker]
            rowsPerWorker[worker] += rowsPerExpert[expert]
            var segment = Switchyard_V1_Segment()
            segment.expert = UInt32(expert)
            segment.rows = UInt32(rowsPerExpert[expert])
            segments[worker].append(segment)
        }

        let storages: [ByteStorage?] = (0..<workerCount).map { worker in
            rowsPerWorker[worker] > 0 ? ByteStorage(count: rowsPerWorker[worker] * hidden * elementSize) : nil
        }
        var gates = (0..<workerCount).map { [Float](repeating: 0, count: rowsPerWorker[$0]) }
        var slots = (0..<workerCount).map { [UInt32](repeating: 0, count: rowsPerWorker[$0]) }
        var slotTokens = (0..<workerCount).map { worker -> [Int32] in
            var array: [Int32] = []
            array.reserveCapacity(tokensPerWorker[worker])
            return array
        }

        for worker in 0..<workerCount { lastToken[worker] = -1 }
        let source = tokens.baseAddress!
        for token in 0..<tokenCount {
            for j in 0..<k {
                let expert = Int(experts[token * k + j])
                let worker = owners[expert]
                if lastToken[worker] != token {
                    lastToken[worker] = token
                    slotTokens[worker].append(Int32(token))
                }
                let row = nextRow[expert]
                nextRow[expert] += 1
                if elementSize == 2 {
                    DTypeConversion.f32ToBF16(source + token * hidden, storages[worker]!.baseAddress + row * hidden * 2, count: hidden)
                } else {
                    let destination = storages[worker]!.baseAddress.assumingMemoryBound(to: Float.self) + row * hidden
                    destination.update(from: source + token * hidden, count: hidden)
                }
                gates[worker][row] = weights[token * k + j]
                slots[worker][row] = UInt32(slotTokens[worker].count - 1)
            }
        }

        var result: [WorkerDispatch] = []
        result.reserveCapacity(workerCount)
        for worker in 0..<workerCount {
            guard let storage = storages[worker] else { continue }
            result.append(WorkerDispatch(
                worker: worker,
                hiddenSize: hidden,
                segments: segments[worker],
                gateWeights: gates[worker],
                tokenSlots: slots[worker],
                slotTokens: slotTokens[worker],
                rows: TensorBytes(owner: storage, baseAddress: storage.baseAddress, count: storage.count),
                dtype: elementSize == 2 ? .bf16 : .f32
            ))
        }
        return result
    }

    private mutating func resetScratch(workerCount: Int) {
        for expert in 0..<expertsPerLayer { rowsPerExpert[expert] = 0 }
        if rowsPerWorker.count != workerCount {
            rowsPerWorker = [Int](repeating: 0, count: workerCount)
            tokensPerWorker = rowsPerWorker
            lastToken = rowsPerWorker
        } else {
            for worker in 0..<workerCount {
                rowsPerWorker[worker] = 0
                tokensPerWorker[worker] = 0
            }
        }
        for worker in 0..<workerCount { lastToken[worker] = -1 }
    }

    /// First pass: validate every selection and count rows per expert and tokens per worker.
    private mutating func countRows(
        experts: UnsafeBufferPointer<Int32>,
        k: Int,
        owners: [Int],
        workerCount: Int
    ) throws(RowPackingError) {
        for index in 0..<experts.count {
            let token = index / k
            let expert = Int(experts[index])
            guard expert >= 0, expert < expertsPerLayer else {
                throw .expertOutOfRange(expert: expert, expertsPerLayer: expertsPerLayer)
            }
            let worker = owners[expert]
            guard worker >= 0 else { throw .noHolder(expert: expert) }
            guard worker < workerCount else {
                throw .badOwner(expert: expert, worker: worker, workerCount: workerCount)
            }
            rowsPerExpert[expert] += 1
            if lastToken[worker] != token {
                lastToken[worker] = token
                tokensPerWorker[worker] += 1
            }
        }
    }
}
