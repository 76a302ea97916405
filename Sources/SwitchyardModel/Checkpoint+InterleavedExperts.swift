import SwitchyardTensor

/// gpt_oss's expert tensors (transformers' `GptOssExperts`), one set per layer:
///
/// * `experts.gate_up_proj` `[E, H, 2I]` (the product is `x @ gate_up_proj[e]`; gate and up in
///   alternating columns: gate `j` is column `2j`, up `j` column `2j + 1`), `experts.down_proj`
///   `[E, I, H]`, and the biases `gate_up_proj_bias` `[E, 2I]` (alternating too), `down_proj_bias`
///   `[E, H]`;
/// * or, as real checkpoints store them, MXFP4: `gate_up_proj_blocks` `[E, 2I, H/32, 16]` and
///   `gate_up_proj_scales` `[E, 2I, H/32]` (rows are output channels, still alternating), and
///   `down_proj_blocks` `[E, H, I/32, 16]` / `down_proj_scales` `[E, H, I/32]`, with the same f32/bf16
///   biases. Each block of 32 values shares one E8M0 scale `2^(s - 127)`; each byte holds two FP4
///   (E2M1) values, the low nibble first (transformers' `_convert_moe_packed_tensors`).
///
/// Both are read into the engine's gate rows, up rows and down `[H, I]`; MXFP4 experts are then
/// kept 4-bit (`WeightFormat.mxfp4`, ggml's block layout) under `--dtype auto`: requantizing the
/// decoded values gives back exactly the same values (each block's largest magnitude fixes the same
/// or a finer shared exponent on which every smaller E2M1 value of the block still lands).
extension Checkpoint {
    /// The 16 E2M1 values an FP4 nibble encodes.
    static let fp4Values: [Float] = [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6]

    /// One gpt_oss expert in f32 with its biases, and the format its weights are stored in.
    func interleavedExpertWeights(_ key: ExpertKey) throws -> (weights: ExpertFFNWeights, stored: WeightFormat) {
        let (h, i) = (config.hiddenSize, config.moeIntermediateSize)
        let gateUpName = WeightNames.fusedGateUp(layer: key.layer)
        let downName = WeightNames.fusedDown(layer: key.layer)
        let gateUp: Matrix
        let down: Matrix
        let stored: WeightFormat
        if resolve(gateUpName + "_blocks") != nil {
            gateUp = try mxfp4Rows(gateUpName, expert: key.expert, rows: 2 * i, cols: h)
            down = try mxfp4Rows(downName, expert: key.expert, rows: h, cols: i)
            stored = .mxfp4
        } else {
            let fused = try expertSlice(gateUpName, expert: key.expert, shape: [h, 2 * i])
            gateUp = Self.transpose(fused.matrix)
            down = Self.transpose(try expertSlice(downName, expert: key.expert, shape: [i, h]).matrix)
            stored = fused.dtype == .bf16 ? .bf16 : .f32
        }
        let gateUpBias = try expertSlice(gateUpName + "_bias", expert: key.expert, shape: [2 * i]).matrix
        let downBias = try expertSlice(downName + "_bias", expert: key.expert, shape: [h]).matrix
        let gate = Matrix(rows: i, cols: h)
        let up = Matrix(rows: i, cols: h)
        for j in 0..<i {
            gate.row(j).update(from: gateUp.row(2 * j), count: h)
            up.row(j).update(from: gateUp.row(2 * j + 1), count: h)
        }
        let weights = ExpertFFNWeights(
            gate: gate, up: up, down: down,
            gateBias: (0..<i).map { gateUpBias.base[2 * $0] }, upBias: (0..<i).map { gateUpBias.base[2 * $0 + 1] },
            downBias: downBias.toArray())
        return (weights, stored)
    }

    /// Expert `expert`'s `[E, shape...]` slice of tensor `name` as f32 rows, with the tensor's dtype.
    private func expertSlice(_ name: String, expert: Int, shape: [Int]) throws -> (matrix: Matrix, dtype: DType) {
        let entry = try fusedEntry(name, shape: [config.numExperts] + shape)
        let count = shape.reduce(1, *)
        let matrix = Matrix(rows: shape.count > 1 ? shape[0] : 1, cols: shape.last ?? 1)
        try copy(entry, elementOffset: expert * count, count: count, into: matrix.base)
        return (matrix, entry.info.dtype)
    }

    /// The MXFP4 projection `name` of `expert` (`name_blocks` / `name_scales`) decoded into a
    /// `rows x cols` f32 matrix.
    private func mxfp4Rows(_ name: String, expert: Int, rows: Int, cols: Int) throws -> Matrix {
        guard cols % 32 == 0 else {
            throw ModelError.invalidTensor(path: directory.path, tensor: name + "_blocks",
                                           reason: "MXFP4 needs the input size (\(cols)) to be a multiple of 32")
        }
        let groups = cols / 32
        let blocks = try fusedEntry(name + "_blocks", shape: [config.numExperts, rows, groups, 16], dtype: .u8)
        let scales = try fusedEntry(name + "_scales", shape: [config.numExperts, rows, groups], dtype: .u8)
        let bytes = Matrix(rows: rows * groups, cols: 16)
        let exponents = Matrix(rows: 1, cols: rows * groups)
        try copy(blocks, elementOffset: expert * rows * groups * 16, count: rows * groups * 16, into: bytes.base)
        try copy(scales, elementOffset: expert * rows * groups, count: rows * groups, into: exponents.base)
        let out = Matrix(rows: rows, cols: cols)
        for block in 0..<(rows * groups) {
            let exponent = Int(exponents.base[block]) - 127
            let source = bytes.row(block)
            let destination = out.base + block * 32
            for b in 0..<16 {
                let byte = Int(source[b])
                destination[2 * b] = Float(sign: .plus, exponent: exponent, significand: Self.fp4Values[byte & 0x0F])
                destination[2 * b + 1] = Float(sign: .plus, exponent: exponent, significand: Self.fp4Values[byte >> 4])
            }
        }
        return out
    }

    /// The entry of a fused expert tensor after checking its shape (and dtype when given).
    private func fusedEntry(_ name: String, shape: [Int], dtype: DType? = nil) throws -> Entry {
        guard let entry = resolve(name) else { throw ModelError.missingTensor(name: name, directory: directory.path) }
        guard entry.info.shape == shape else {
            throw ModelError.shapeMismatch(path: entry.path, tensor: entry.info.name, expected: shape, actual: entry.info.shape)
        }
        if let dtype, entry.info.dtype != dtype {
            throw ModelError.invalidTensor(path: entry.path, tensor: entry.info.name,
                                           reason: "MXFP4 data must be \(dtype.rawValue), got \(entry.info.dtype.rawValue)")
        }
        if entry.info.dtype == .u8 && dtype == nil {
            throw ModelError.invalidTensor(path: entry.path, tensor: entry.info.name, reason: "U8 is only read as MXFP4 blocks and scales")
        }
        return entry
    }

    private static func transpose(_ m: Matrix) -> Matrix {
        let t = Matrix(rows: m.cols, cols: m.rows)
        for r in 0..<m.rows {
            for c in 0..<m.cols { t.base[c * m.rows + r] = m.base[r * m.cols + c] }
        }
        return t
    }

    /// `parts` stacked top to bottom in `format`: packed f32 panels or blocks.
    static func linearWeight(_ parts: [Matrix], format: WeightFormat) throws -> any LinearWeight {
        if format == .f32 { return PackedWeight(stacking: parts) }
        let cols = parts[0].cols
        do {
            return try BlockWeight(format: format, rows: parts.reduce(0) { $0 + $1.rows }, cols: cols) { first, count, destination in
                PackedWeight.forEachRun(ofStackedRows: parts.map(\.rows), first: first, count: count) { part, row, rows, written in
                    (destination + written * cols).update(from: parts[part].row(row), count: rows * cols)
                }
            }
        } catch let error as BlockWeightError {
            throw ModelError.formatDoesNotFit(tensor: "experts", format: format.rawValue, reason: error.description)
        }
    }
}
