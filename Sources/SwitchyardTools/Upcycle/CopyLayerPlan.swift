/// Sparse upcycling of one layer (`--mode copy`): every expert is the dense FFN (w1 = gate_proj,
/// w3 = up_proj, w2 = down_proj) and the router is random (seeded), so tokens spread over the
/// experts while the output stays the dense one: Mixtral renormalises the top-k weights to sum
/// to 1, and a weighted sum of identical experts with weights summing to 1 is the dense FFN (up to
/// float rounding of the weights' sum and of the accumulation).
public struct CopyLayerPlan: UpcycleLayerPlan {
    /// Standard deviation of the router logits (see `RouterScaling`): large enough that every
    /// expert is somebody's top choice.
    public static let routerLogitStd: Float = 1

    let gate: [Float]
    let up: [Float]
    let down: [Float]
    let router: [Float]

    /// Reads the dense FFN of `layer` from `source` and draws the router from `seed`.
    public init(source: any DenseCheckpointSource, layer: Int, experts: Int, seed: UInt64) throws {
        let shape = source.shape
        let names = shape.ffnTensors(layer: layer)
        let (hidden, intermediate) = (shape.hiddenSize, shape.intermediateSize)
        gate = try source.readAll(names.gate, expected: [intermediate, hidden])
        up = try source.readAll(names.up, expected: [intermediate, hidden])
        down = try source.readAll(names.down, expected: [hidden, intermediate])
        let norm = try source.readAll("model.layers.\(layer).post_attention_layernorm.weight", expected: [hidden])
        var random = WeightRandom(seed: seed, name: "model.layers.\(layer).block_sparse_moe.gate.weight")
        var rows = (0..<(experts * hidden)).map { _ in random.nextNormal() }
        RouterScaling.scale(rows: &rows, experts: experts, norm: norm, targetStd: Self.routerLogitStd)
        router = rows
    }

    public func routerWeight() -> [Float] { router }

    public func expertWeight(_ expert: Int, _ projection: MixtralProjection) -> [Float] {
        switch projection {
        case .w1: gate
        case .w2: down
        case .w3: up
        }
    }
}
