import SwitchyardTensor

extension LocalExpertBackend {
    /// A backend holding random experts of `config`'s shape (variance `1/fan_in`), reproducible from `seed`.
    public static func random(config: ModelConfig, seed: UInt64, experts keys: Set<ExpertKey>? = nil) throws -> LocalExpertBackend {
        var g = SeededGenerator(seed: seed)
        var weights: [ExpertKey: ExpertFFNWeights] = [:]
        let h = config.hiddenSize
        for key in allKeys(config) {
            let i = config.expertIntermediateSize(layer: key.layer, expert: key.expert)
            let inScale = (3 / Float(h)).squareRoot()
            let gate = Matrix.random(rows: i, cols: h, scale: inScale, generator: &g)
            let up = Matrix.random(rows: i, cols: h, scale: inScale, generator: &g)
            let down = Matrix.random(rows: h, cols: i, scale: (3 / Float(i)).squareRoot(), generator: &g)
            let biased = config.expertBias && config.isSparse(layer: key.layer)
            let biases = biased ? (0..<3).map { n in Matrix.random(rows: 1, cols: n == 2 ? h : i, scale: 0.1, generator: &g).toArray() } : nil
            if keys == nil || keys!.contains(key) {
                weights[key] = ExpertFFNWeights(gate: gate, up: up, down: down,
                                                gateBias: biases?[0], upBias: biases?[1], downBias: biases?[2])
            }
        }
        return try LocalExpertBackend(config: config, weights: weights)
    }
}
