import SwitchyardTensor

extension Checkpoint {
    /// The f32 weights of one FFN expert: routed (`0..<numExperts`), qwen2_moe's shared expert
    /// (`numExperts`) or a dense layer's MLP (`0`). Reads the per-expert Hub layout, or slices the
    /// fused `experts.gate_up_proj [E, 2I, H]` / `experts.down_proj [E, H, I]` layout.
    public func expertFFN(layer: Int, expert: Int) throws -> ExpertFFNWeights {
        if storesInterleavedExperts(layer: layer, expert: expert) {
            try checkExpert(layer: layer, expert: expert)
            return try interleavedExpertWeights(ExpertKey(layer: layer, expert: expert)).weights
        }
        let sources = try expertSources(layer: layer, expert: expert)
        let biases = try expertBiases(layer: layer, expert: expert)
        return ExpertFFNWeights(gate: try matrix(sources.gate), up: try matrix(sources.up), down: try matrix(sources.down),
                                gateBias: biases?.gate, upBias: biases?.up, downBias: biases?.down)
    }

    /// One FFN expert read straight into the format the engine computes with (`dtypes.experts`:
    /// packed f32 panels or blocks, no f32 copy of each projection first): what routers and
    /// workers load. gpt_oss experts (interleaved or MXFP4) go through one f32 copy of the expert.
    public func packedExpertFFN(layer: Int, expert: Int) throws -> ExpertFFN {
        if storesInterleavedExperts(layer: layer, expert: expert) {
            try checkExpert(layer: layer, expert: expert)
            let (weights, stored) = try interleavedExpertWeights(ExpertKey(layer: layer, expert: expert))
            let format = dtypes.experts.resolve(stored: stored)
            return ExpertFFN(gateUp: try Self.linearWeight([weights.gate, weights.up], format: format),
                             down: try Self.linearWeight([weights.down], format: format),
                             gateUpBias: weights.gateUpBias, downBias: weights.downBias, activation: config.expertActivation)
        }
        let sources = try expertSources(layer: layer, expert: expert)
        let biases = try expertBiases(layer: layer, expert: expert)
        return ExpertFFN(gateUp: try linearWeight([sources.gate, sources.up], dtype: dtypes.experts),
                         down: try linearWeight([sources.down], dtype: dtypes.experts),
                         gateUpBias: biases.map { $0.gate + $0.up }, downBias: biases?.down, activation: config.expertActivation)
    }

    /// Whether `(layer, expert)` is a routed expert stored the gpt_oss way (transformers' fused,
    /// interleaved tensors; a GGUF copy has separate per-expert projections instead).
    private func storesInterleavedExperts(layer: Int, expert: Int) -> Bool {
        config.family.definition.interleavedGateUpExperts && layer >= 0 && layer < config.numLayers
            && config.isSparse(layer: layer) && expert >= 0 && expert < config.numExperts
            && resolve(WeightNames.expertProjection(config, layer: layer, expert: expert, .gate)) == nil
    }

    /// The gate, up and down biases of a per-expert-stored routed expert of a family with expert
    /// biases (gpt_oss read from GGUF: `….experts.E.{gate,up,down}_proj.bias`); nil for bias-free ones.
    private func expertBiases(layer: Int, expert: Int) throws -> (gate: [Float], up: [Float], down: [Float])? {
        guard config.expertBias, config.isSparse(layer: layer), expert < config.numExperts else { return nil }
        func bias(_ projection: WeightNames.Projection, count: Int) throws -> [Float] {
            let weight = WeightNames.expertProjection(config, layer: layer, expert: expert, projection)
            return try vector(String(weight.dropLast("weight".count)) + "bias", count: count)
        }
        let inner = config.expertIntermediateSize(layer: layer, expert: expert)
        return (try bias(.gate, count: inner), try bias(.up, count: inner), try bias(.down, count: config.hiddenSize))
    }

    /// Checks that the expert exists and that the filter admits it.
    private func checkExpert(layer: Int, expert: Int) throws {
        let key = ExpertKey(layer: layer, expert: expert)
        guard layer >= 0, layer < config.numLayers else {
            throw ModelError.noSuchExpert(layer: layer, expert: expert, reason: "the model has \(config.numLayers) layers")
        }
        guard config.isValid(key) else {
            throw ModelError.noSuchExpert(layer: layer, expert: expert, reason: "layer \(layer) has \(config.ffnExperts(layer: layer)) FFN experts")
        }
        if case let .experts(keys) = filter, !keys.contains(key) {
            throw ModelError.tensorNotLoaded(name: "expert \(key)", filter: filter.description)
        }
    }

    /// Where one expert's gate, up and down projections are, after checking that the expert exists,
    /// that the filter admits it and that every shape is as the config says.
    private func expertSources(layer: Int, expert: Int) throws -> (gate: TensorRows, up: TensorRows, down: TensorRows) {
        try checkExpert(layer: layer, expert: expert)
        let key = ExpertKey(layer: layer, expert: expert)
        let hidden = config.hiddenSize
        let inner = config.expertIntermediateSize(layer: layer, expert: expert)
        let gateName = WeightNames.expertProjection(config, layer: layer, expert: expert, .gate)
        let isRouted = config.isSparse(layer: layer) && expert < config.numExperts
        if !isRouted || resolve(gateName) != nil {
            return (
                gate: try rows(of: gateName, shape: [inner, hidden]),
                up: try rows(of: WeightNames.expertProjection(config, layer: layer, expert: expert, .up), shape: [inner, hidden]),
                down: try rows(of: WeightNames.expertProjection(config, layer: layer, expert: expert, .down), shape: [hidden, inner])
            )
        }
        return try fusedExpertSources(key, hidden: hidden, inner: inner, perExpertName: gateName)
    }

    private func fusedExpertSources(
        _ key: ExpertKey, hidden: Int, inner: Int, perExpertName: String
    ) throws -> (gate: TensorRows, up: TensorRows, down: TensorRows) {
        let gateUpName = WeightNames.fusedGateUp(layer: key.layer)
        let downName = WeightNames.fusedDown(layer: key.layer)
        guard let gateUp = resolve(gateUpName) ?? resolve(gateUpName + ".weight"),
              let down = resolve(downName) ?? resolve(downName + ".weight") else {
            throw ModelError.missingTensor(name: "\(perExpertName) (or fused \(gateUpName))", directory: directory.path)
        }
        let experts = config.numExperts
        guard gateUp.info.shape == [experts, 2 * inner, hidden] else {
            throw ModelError.shapeMismatch(path: gateUp.path, tensor: gateUp.info.name,
                                           expected: [experts, 2 * inner, hidden], actual: gateUp.info.shape)
        }
        guard down.info.shape == [experts, hidden, inner] else {
            throw ModelError.shapeMismatch(path: down.path, tensor: down.info.name,
                                           expected: [experts, hidden, inner], actual: down.info.shape)
        }
        let block = inner * hidden
        return (
            gate: TensorRows(entry: gateUp, elementOffset: key.expert * 2 * block, rows: inner, cols: hidden),
            up: TensorRows(entry: gateUp, elementOffset: key.expert * 2 * block + block, rows: inner, cols: hidden),
            down: TensorRows(entry: down, elementOffset: key.expert * block, rows: hidden, cols: inner)
        )
    }
}
