import SwitchyardTensor

/// The activations and scratch of one micro-batch of an engine step, allocated once and resized,
/// so decode steps allocate nothing. Single owner: the task running that micro-batch.
final class EngineMicroBatch: @unchecked Sendable {
    let index: Int
    /// Rows in this step (the new tokens of all its inputs).
    private(set) var rows = 0
    /// Per input: the first row of its tokens.
    var rowStart: [Int] = []
    /// Per row: its position in its sequence.
    var positions: [Int] = []
    let x: Matrix
    let xn: Matrix
    let qkv: Matrix
    let attention: Matrix
    let ffnOut: Matrix
    let cosTable: Matrix
    let sinTable: Matrix
    let gateLogits: Matrix
    let sharedLogits: Matrix
    let last: Matrix
    /// MLA with a q LoRA: the `q_b_proj` output, `numHeads * queryHeadDim` per row.
    let latentQ: Matrix
    /// MLA: every row's absorbed queries and attention contexts (`LatentAttention.absorb` / `attend`).
    let latentAbsorbed = Matrix(rows: 0, cols: 1)
    let latentContext = Matrix(rows: 0, cols: 1)
    let scores = Matrix(rows: 0, cols: 1)
    /// Per worker thread: the scores of the decode row it is attending (`decodeAttentionScratch`).
    private var workerScores: [Matrix] = []
    /// Inputs (offsets into the step's inputs) with one new token, whose attention runs concurrently.
    var decodeInputs: [Int] = []
    var routes = ExpertRoutes(rows: 0, slotsPerRow: 1, expertIDs: [], weights: [])
    var counts: [Int] = []

    init(index: Int, config: ModelConfig) {
        self.index = index
        let h = config.hiddenSize
        x = Matrix(rows: 0, cols: h)
        xn = Matrix(rows: 0, cols: h)
        qkv = Matrix(rows: 0, cols: config.attentionInputWidth)
        attention = Matrix(rows: 0, cols: config.attentionOutputWidth)
        ffnOut = Matrix(rows: 0, cols: h)
        cosTable = Matrix(rows: 0, cols: config.headDim / 2)
        sinTable = Matrix(rows: 0, cols: config.headDim / 2)
        gateLogits = Matrix(rows: 0, cols: max(config.numExperts, 1))
        sharedLogits = Matrix(rows: 0, cols: 1)
        last = Matrix(rows: 0, cols: h)
        latentQ = Matrix(rows: 0, cols: config.latentAttention?.qLoraRank == nil ? 0 : config.numHeads * config.latentAttention!.queryHeadDim)
    }

    /// Score buffers for `workers` concurrent decode attentions, made before going concurrent.
    func decodeAttentionScratch(workers: Int) -> [Matrix] {
        while workerScores.count < workers { workerScores.append(Matrix(rows: 0, cols: 1)) }
        return workerScores
    }

    /// Lays out the rows of `inputs` and sizes every buffer for them.
    func prepare(_ inputs: ArraySlice<EngineInput>) {
        rowStart.removeAll(keepingCapacity: true)
        positions.removeAll(keepingCapacity: true)
        var total = 0
        for input in inputs {
            rowStart.append(total)
            let start = input.cache.length
            for i in 0..<input.tokens.count { positions.append(start + i) }
            total += input.tokens.count
        }
        rows = total
        for m in [x, xn, qkv, attention, ffnOut, cosTable, sinTable, gateLogits, sharedLogits] { m.resize(rows: total) }
        if latentQ.cols > 0 { latentQ.resize(rows: total) }
        last.resize(rows: inputs.count)
    }
}
