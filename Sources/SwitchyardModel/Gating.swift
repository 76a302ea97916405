import Foundation
import SwitchyardTensor

/// Turns a layer's gate logits into `ExpertRoutes`, following each family's transformers code:
/// softmax over all experts, top-k, renormalise the k weights when `norm_topk_prob` (always for
/// mixtral), and for qwen2_moe a shared-expert slot (id `numExperts`) weighted `sigmoid(shared gate)`.
/// A dense layer routes every row to its MLP (id 0, weight 1).
public enum Gating {
    /// Slots per row of `layer`'s routes.
    public static func slotsPerRow(config: ModelConfig, layer: Int) -> Int {
        guard config.isSparse(layer: layer) else { return 1 }
        return config.topK + (config.hasSharedExpert ? 1 : 0)
    }

    /// Whether the top-k weights are renormalised to sum to one.
    public static func renormalises(_ config: ModelConfig) -> Bool {
        config.family.definition.alwaysRenormalisesTopK || config.normTopKProb
    }

    /// Fills `routes` for `rows` rows.
    ///
    /// - Parameters:
    ///   - logits: `rows x numExperts` router logits (leading dimension `numExperts`); overwritten by
    ///     the softmax probabilities. Ignored for a dense layer.
    ///   - sharedLogits: `rows` shared-expert gate logits (stride `sharedStride`) when the layer has one.
    public static func route(
        config: ModelConfig, layer: Int, rows: Int,
        logits: UnsafeMutablePointer<Float>?, sharedLogits: UnsafePointer<Float>?, sharedStride: Int = 1,
        into routes: inout ExpertRoutes
    ) {
        let slots = slotsPerRow(config: config, layer: layer)
        let total = rows * slots
        routes.rows = rows
        routes.slotsPerRow = slots
        routes.expertIDs.removeAll(keepingCapacity: true)
        routes.expertIDs.append(contentsOf: repeatElement(0, count: total))
        routes.weights.removeAll(keepingCapacity: true)
        routes.weights.append(contentsOf: repeatElement(1, count: total))
        guard config.isSparse(layer: layer), let logits else { return }

        let experts = config.numExperts
        let k = config.topK
        let renormalise = renormalises(config)
        routes.expertIDs.withUnsafeMutableBufferPointer { ids in
            routes.weights.withUnsafeMutableBufferPointer { weights in
                guard let idBase = ids.baseAddress, let weightBase = weights.baseAddress else { return }
                for r in 0..<rows {
                    let probabilities = logits + r * experts
                    Softmax.apply(probabilities, count: experts)
                    let rowIDs = idBase + r * slots
                    let rowWeights = weightBase + r * slots
                    TopK.select(probabilities, count: experts, k: k, indices: rowIDs, topValues: rowWeights)
                    if renormalise {
                        var sum: Float = 0
                        for s in 0..<k { sum += rowWeights[s] }
                        if sum > 0 { for s in 0..<k { rowWeights[s] /= sum } }
                    }
                    if config.hasSharedExpert, let sharedLogits {
                        rowIDs[k] = Int32(experts)
                        rowWeights[k] = 1 / (1 + expf(-sharedLogits[r * sharedStride]))
                    }
                }
            }
        }
    }

    /// Counts the rows routed to each of `experts` experts (unused slots, id -1, are skipped).
    public static func count(_ routes: ExpertRoutes, experts: Int, into counts: inout [Int]) {
        counts.removeAll(keepingCapacity: true)
        counts.append(contentsOf: repeatElement(0, count: experts))
        for id in routes.expertIDs where id >= 0 && Int(id) < experts { counts[Int(id)] += 1 }
    }
}
