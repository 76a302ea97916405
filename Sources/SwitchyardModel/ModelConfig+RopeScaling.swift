import SwitchyardTensor

extension ModelConfig {
    /// A config's RoPE scaling: the YaRN frequencies and amplitude, and `mscale_all_dim`'s factor
    /// on the softmax scale (used by MLA).
    struct YaRNScaling {
        var yarn: RoPE.YaRN
        var softmaxMscale: Double
    }

    /// Reads a `rope_type: "yarn"` parameter object the way `_compute_yarn_parameters` does.
    static func parseYaRN(_ parameters: ConfigReader, maxPositions: Int) throws -> YaRNScaling {
        let original = try parameters.int("original_max_position_embeddings") ?? maxPositions
        guard original > 0 else {
            throw ModelError.invalidConfigValue(path: parameters.path, key: "original_max_position_embeddings", reason: "must be positive, got \(original)")
        }
        let factor = try parameters.double("factor") ?? Double(maxPositions) / Double(original)
        guard factor > 0 else {
            throw ModelError.invalidConfigValue(path: parameters.path, key: "factor", reason: "must be positive, got \(factor)")
        }
        let mscale = try parameters.double("mscale")
        let mscaleAllDim = try parameters.double("mscale_all_dim")
        let attentionFactor: Double
        if let given = try parameters.double("attention_factor") {
            attentionFactor = given
        } else if let mscale, let mscaleAllDim, mscale != 0, mscaleAllDim != 0 {
            attentionFactor = RoPE.YaRN.mscale(factor, mscale) / RoPE.YaRN.mscale(factor, mscaleAllDim)
        } else {
            attentionFactor = RoPE.YaRN.mscale(factor)
        }
        let yarn = RoPE.YaRN(
            factor: factor, originalMaxPositions: original,
            betaFast: try parameters.double("beta_fast").flatMap { $0 == 0 ? nil : $0 } ?? 32,
            betaSlow: try parameters.double("beta_slow").flatMap { $0 == 0 ? nil : $0 } ?? 1,
            attentionFactor: attentionFactor, truncate: try parameters.bool("truncate", default: true))
        let softmaxMscale = mscaleAllDim.map { $0 == 0 ? 1 : pow2(RoPE.YaRN.mscale(factor, $0)) } ?? 1
        return YaRNScaling(yarn: yarn, softmaxMscale: softmaxMscale)
    }

    private static func pow2(_ x: Double) -> Double { x * x }
}
