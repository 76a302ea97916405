/// Mixtral (`MixtralForCausalLM`): every layer sparse, top-k weights always renormalised, experts
/// under `block_sparse_moe` named `w1` (gate), `w3` (up), `w2` (down), optional sliding window.
/// GGUF: llama.cpp stores it as architecture `llama` with `llama.expert_count` > 0.
struct Mixtral: ModelFamilyDefinition {
    var architecture: String { "MixtralForCausalLM" }
    var alwaysRenormalisesTopK: Bool { true }
    var moeBlockName: String { "block_sparse_moe" }
    var ggufArchitectures: [String] { ["llama"] }

    func readsGGUF(_ info: GGUFModelInfo) -> Bool { info.architecture == .llama && info.expertCount > 0 }

    var defaults: FamilyDefaults {
        FamilyDefaults(intermediate: 14336, moeIntermediate: 14336, numExperts: 8, topK: 2, kvHeads: 8,
                       rmsNormEps: 1e-5, ropeTheta: 1_000_000, maxPositions: 4096 * 32, bos: 1, eos: [2])
    }

    func routedExpertName(block: String, expert: Int, _ projection: WeightNames.Projection) -> String {
        let short = switch projection { case .gate: "w1"; case .up: "w3"; case .down: "w2" }
        return "\(block).experts.\(expert).\(short).weight"
    }

    func parseQuirks(_ json: ConfigReader, into config: inout ModelConfig) throws {
        config.normTopKProb = true
        config.slidingWindow = try json.slidingWindowSize()
    }

    func applyGGUF(_ metadata: GGUFMetadata, info: GGUFModelInfo, into config: inout ModelConfig) throws {
        config.normTopKProb = true
    }

    func writeConfigKeys(_ config: ModelConfig, into fields: inout [String: JSONOut]) {
        fields["num_local_experts"] = .int(config.numExperts)
        fields["sliding_window"] = config.slidingWindow.map { .int($0) } ?? .null
        fields["router_aux_loss_coef"] = .double(0.001)
        fields["router_jitter_noise"] = .double(0)
    }

    func applyPreset(_ preset: ModelPreset, to config: inout ModelConfig) {
        config.normTopKProb = true
        config.rmsNormEps = 1e-5
    }
}
