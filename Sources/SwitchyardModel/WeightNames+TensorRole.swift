/// What a checkpoint tensor is for, which decides which `TensorFilter` loads it.
package enum TensorRole: Equatable {
    /// One projection of one FFN expert (routed, shared or dense MLP).
    case expert(ExpertKey, WeightNames.Projection)
    /// A fused all-experts tensor of a layer (`experts.gate_up_proj` or `experts.down_proj`).
    case fusedExperts(layer: Int, gateUp: Bool)
    /// Anything the router holds.
    case other
}

extension WeightNames {
    /// Classifies a tensor name of a checkpoint of `config`.
    package static func role(of name: String, config: ModelConfig) -> TensorRole {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 5, parts[0] == "model", parts[1] == "layers", let layer = Int(parts[2]) else { return .other }
        let block = parts[3]
        guard block == "mlp" || block == "block_sparse_moe" else { return .other }
        let rest = parts[4...]
        func projection(_ text: Substring) -> Projection? {
            switch text {
            case "gate_proj", "w1": .gate
            case "up_proj", "w3": .up
            case "down_proj", "w2": .down
            default: nil
            }
        }
        // experts.E.proj.weight (and .bias: gpt_oss read from GGUF)
        if rest.count == 4, rest[rest.startIndex] == "experts", let expert = Int(rest[rest.startIndex + 1]),
           let kind = projection(rest[rest.startIndex + 2]), rest.last == "weight" || rest.last == "bias" {
            return .expert(ExpertKey(layer: layer, expert: expert), kind)
        }
        // experts.gate_up_proj / experts.down_proj (optionally with .weight), and gpt_oss's
        // `_bias`, MXFP4 `_blocks` and `_scales` of them: all `[E, ...]`.
        if rest.count == 2 || (rest.count == 3 && rest.last == "weight"), rest[rest.startIndex] == "experts" {
            let kind = rest[rest.startIndex + 1]
            for suffix in ["", "_bias", "_blocks", "_scales"] {
                if kind == "gate_up_proj" + suffix { return .fusedExperts(layer: layer, gateUp: true) }
                if kind == "down_proj" + suffix { return .fusedExperts(layer: layer, gateUp: false) }
            }
        }
        // shared_expert(s).proj.weight
        if rest.count == 3, rest[rest.startIndex] == "shared_expert" || rest[rest.startIndex] == "shared_experts", let kind = projection(rest[rest.startIndex + 1]) {
            return .expert(ExpertKey(layer: layer, expert: config.numExperts), kind)
        }
        // dense MLP: mlp.proj.weight
        if rest.count == 2, rest.last == "weight", let kind = projection(rest[rest.startIndex]) {
            return .expert(ExpertKey(layer: layer, expert: 0), kind)
        }
        return .other
    }
}
