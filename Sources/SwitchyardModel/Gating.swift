import Foundation
import SwitchyardTensor

/// Turns a layer's gate logits into `ExpertRoutes`, following each family's transformers code:
/// scores (softmax over all experts, a sigmoid per expert, or gpt_oss's softmax over the top-k logits), top-k chosen by the scores plus an
/// optional correction bias among the best expert groups, weights from the unbiased scores,
/// renormalised when `norm_topk_prob` (always for mixtral) and multiplied by `routed_scaling_factor`;
/// then a shared-expert slot (id `numExperts`) weighted `sigmoid(shared gate)` (qwen2_moe) or 1
/// (deepseek, glm4_moe). A dense layer routes every row to its MLP (id 0, weight 1).
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
    ///     the scores (softmax probabilities or sigmoids). Ignored for a dense layer.
    ///   - sharedLogits: `rows` shared-expert gate logits (stride `sharedStride`) when the shared
    ///     expert is gated.
    ///   - correctionBias: `numExperts` biases added to the scores for the choice only
    ///     (`e_score_correction_bias`) when `config.scoreCorrectionBias`.
    public static func route(
        config: ModelConfig, layer: Int, rows: Int,
        logits: UnsafeMutablePointer<Float>?, sharedLogits: UnsafePointer<Float>?, sharedStride: Int = 1,
        correctionBias: UnsafePointer<Float>? = nil,
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
        routes.expertIDs.withUnsafeMutableBufferPointer { ids in
            routes.weights.withUnsafeMutableBufferPointer { weights in
                guard let idBase = ids.baseAddress, let weightBase = weights.baseAddress else { return }
                withUnsafeTemporaryAllocation(of: Float.self, capacity: experts) { choice in
                    for r in 0..<rows {
                        let scores = logits + r * experts
                        let rowIDs = idBase + r * slots
                        let rowWeights = weightBase + r * slots
                        routeRow(config: config, scores: scores, correctionBias: correctionBias,
                                 choice: choice.baseAddress!, ids: rowIDs, weights: rowWeights)
                        if config.hasSharedExpert {
                            rowIDs[k] = Int32(experts)
                            if config.sharedExpertGated, let sharedLogits {
                                rowWeights[k] = 1 / (1 + expf(-sharedLogits[r * sharedStride]))
                            }
                        }
                    }
                }
            }
        }
    }

    /// One row: scores from logits, the choice (biased, group-limited) top-k, weights from the
    /// unbiased scores, renormalised and scaled.
    @inline(__always)
    static func routeRow(
        config: ModelConfig, scores: UnsafeMutablePointer<Float>, correctionBias: UnsafePointer<Float>?,
        choice: UnsafeMutablePointer<Float>, ids: UnsafeMutablePointer<Int32>, weights: UnsafeMutablePointer<Float>
    ) {
        let experts = config.numExperts
        let k = config.topK
        switch config.scoringFunction {
        case .softmax:
            Softmax.apply(scores, count: experts)
        case .sigmoid:
            for e in 0..<experts { scores[e] = 1 / (1 + expf(-scores[e])) }
        case .softmaxOverTopK:
            // GptOssTopKRouter: top-k of the logits, softmax over the k chosen.
            TopK.select(scores, count: experts, k: k, indices: ids, topValues: weights)
            Softmax.apply(weights, count: k)
            if config.routedScalingFactor != 1 {
                for s in 0..<k { weights[s] *= config.routedScalingFactor }
            }
            return
        }
        let grouped = config.expertGroups > 1 && config.topKGroups < config.expertGroups
        if correctionBias == nil && !grouped {
            TopK.select(scores, count: experts, k: k, indices: ids, topValues: weights)
        } else {
            for e in 0..<experts { choice[e] = scores[e] + (correctionBias?[e] ?? 0) }
            if grouped { maskGroups(config: config, choice: choice) }
            TopK.select(choice, count: experts, k: k, indices: ids, topValues: weights)
            for s in 0..<k { weights[s] = scores[Int(ids[s])] }
        }
        if renormalises(config) {
            var sum: Float = 0
            for s in 0..<k { sum += weights[s] }
            switch config.scoringFunction {
            case .softmax, .softmaxOverTopK:
                if sum > 0 { for s in 0..<k { weights[s] /= sum } }
            case .sigmoid:
                // transformers adds 1e-20 to the denominator of sigmoid weights.
                let denominator = sum + 1e-20
                for s in 0..<k { weights[s] /= denominator }
            }
        }
        if config.routedScalingFactor != 1 {
            for s in 0..<k { weights[s] *= config.routedScalingFactor }
        }
    }

    /// Sets the choice scores of every expert outside the row's best `topKGroups` groups to -inf.
    @inline(__always)
    static func maskGroups(config: ModelConfig, choice: UnsafeMutablePointer<Float>) {
        let groups = config.expertGroups
        let size = config.numExperts / groups
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * groups) { buffer in
            let groupScores = buffer.baseAddress!
            let best = groupScores + groups
            for g in 0..<groups {
                let group = choice + g * size
                switch config.groupScore {
                case .max:
                    var m = -Float.infinity
                    for i in 0..<size { m = max(m, group[i]) }
                    groupScores[g] = m
                case .topTwoSum:
                    var first = -Float.infinity
                    var second = -Float.infinity
                    for i in 0..<size {
                        let v = group[i]
                        if v > first { second = first; first = v } else if v > second { second = v }
                    }
                    groupScores[g] = size >= 2 ? first + second : first
                }
            }
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: config.topKGroups) { kept in
                TopK.select(groupScores, count: groups, k: config.topKGroups, indices: kept.baseAddress!, topValues: best)
                for g in 0..<groups where !kept.contains(Int32(g)) {
                    (choice + g * size).update(repeating: -Float.infinity, count: size)
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
