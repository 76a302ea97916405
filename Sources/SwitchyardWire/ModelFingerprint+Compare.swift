extension Switchyard_V1_ModelFingerprint {
    /// Why a worker's checkpoint differs from the router's (`expected`), or nil when they match.
    ///
    /// The router refuses a registration with `ERROR_CODE_MODEL_MISMATCH` and this text, so the
    /// operator sees which field differs instead of a bare digest.
    public func mismatch(against expected: Switchyard_V1_ModelFingerprint) -> String? {
        var differences: [String] = []
        if modelType != expected.modelType {
            differences.append("model type \"\(modelType)\" vs \"\(expected.modelType)\"")
        }
        if layers != expected.layers { differences.append("layers \(layers) vs \(expected.layers)") }
        if expertsPerLayer != expected.expertsPerLayer {
            differences.append("experts per layer \(expertsPerLayer) vs \(expected.expertsPerLayer)")
        }
        if hiddenSize != expected.hiddenSize { differences.append("hidden size \(hiddenSize) vs \(expected.hiddenSize)") }
        if max(1, expertSlices) != max(1, expected.expertSlices) {
            differences.append("expert slices \(max(1, expertSlices)) vs \(max(1, expected.expertSlices)) (start router and workers with the same --expert-slices)")
        }
        if digest != expected.digest { differences.append("digest \(digest) vs \(expected.digest)") }
        guard !differences.isEmpty else { return nil }
        return "worker model differs from router model: " + differences.joined(separator: ", ")
    }
}
