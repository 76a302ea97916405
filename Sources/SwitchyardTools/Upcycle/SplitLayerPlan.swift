/// MoEfication of one layer (`--mode split`): the FFN's intermediate neurons are partitioned into
/// `experts` groups of equal size by balanced k-means on the gate_proj rows; expert e holds its
/// group's rows of gate_proj and up_proj and columns of down_proj, so the experts' outputs sum to
/// the dense FFN exactly (SwiGLU acts neuron by neuron).
///
/// Routing weights. The written model is a Mixtral, whose top-k weights are renormalised to sum
/// to 1; the down projections are multiplied by `topK` so that near-uniform weights (1/k each)
/// give every selected expert a scale of 1:
/// * `topK == experts`: the router is all zeros, every logit is 0, every weight is exactly
///   1/E, and E * (1/E) = 1. With E a power of two both the multiplication of the down weights
///   and the 1/E weights are exact in any float format, so the model equals the dense one up to
///   the order of the final sum over experts (~1e-7 relative in f32). For other E each down weight
///   is rounded once after the multiplication (1 ulp of the output dtype).
/// * `topK < experts`: the router row of expert e is its cluster's centroid (the mean of the
///   unit gate rows: how strongly x opens the group's SiLU gates), scaled to logits of standard
///   deviation `routerLogitStd`. Top-k picks the experts with the largest centroid scores; the
///   small spread keeps the renormalised weights near 1/k, so the output approximates the sum of
///   the selected groups: k/E of the FFN computed.
public struct SplitLayerPlan: UpcycleLayerPlan {
    /// Spread of the router logits when k < E: keeps the renormalised weights within ~10% of 1/k.
    public static let routerLogitStd: Float = 0.1

    /// Neurons of each expert, ascending.
    public let members: [[Int]]
    /// The k-means result (iterations, mean similarity) for the report.
    public let clustering: BalancedKMeans
    let gate: [Float]
    let up: [Float]
    let down: [Float]
    let router: [Float]
    let hidden: Int
    let intermediate: Int
    let downScale: Float

    /// Reads the dense FFN of `layer`, clusters its neurons and builds the router.
    public init(source: any DenseCheckpointSource, layer: Int, experts: Int, topK: Int, seed: UInt64) throws {
        let shape = source.shape
        hidden = shape.hiddenSize
        intermediate = shape.intermediateSize
        let names = shape.ffnTensors(layer: layer)
        gate = try source.readAll(names.gate, expected: [intermediate, hidden])
        up = try source.readAll(names.up, expected: [intermediate, hidden])
        down = try source.readAll(names.down, expected: [hidden, intermediate])
        let norm = try source.readAll("model.layers.\(layer).post_attention_layernorm.weight", expected: [hidden])
        let clustering = BalancedKMeans(rows: gate, dimension: hidden, k: experts, seed: seed &+ UInt64(layer))
        self.clustering = clustering
        members = (0..<experts).map { clustering.members(of: $0) }
        downScale = Float(topK)
        if topK == experts {
            router = [Float](repeating: 0, count: experts * hidden)
        } else {
            var rows = clustering.centroids
            RouterScaling.scale(rows: &rows, experts: experts, norm: norm, targetStd: Self.routerLogitStd)
            router = rows
        }
    }

    public func routerWeight() -> [Float] { router }

    public func expertWeight(_ expert: Int, _ projection: MixtralProjection) -> [Float] {
        let rows = members[expert]
        switch projection {
        case .w1, .w3:
            let source = projection == .w1 ? gate : up
            var result = [Float](repeating: 0, count: rows.count * hidden)
            for (r, neuron) in rows.enumerated() {
                for j in 0..<hidden { result[r * hidden + j] = source[neuron * hidden + j] }
            }
            return result
        case .w2:
            var result = [Float](repeating: 0, count: hidden * rows.count)
            for i in 0..<hidden {
                for (c, neuron) in rows.enumerated() {
                    result[i * rows.count + c] = down[i * intermediate + neuron] * downScale
                }
            }
            return result
        }
    }
}
