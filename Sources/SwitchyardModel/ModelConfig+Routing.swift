extension ModelConfig {
    /// The router fields of a config beyond experts and top-k: scoring, correction bias, expert
    /// groups and the routed scaling factor.
    struct RoutingFields {
        var scoring: ScoringFunction = .softmax
        var correctionBias = false
        var groups = 1
        var topKGroups = 1
        var groupScore: GroupScore = .max
        var scaling: Float = 1
    }

    /// Sets the router of a grouped (deepseek-style) family: `scoring`, the correction bias,
    /// `groups` / `topKGroups` chosen by `groupScore`, and `routed_scaling_factor` (default 1);
    /// checks that the groups partition the experts and leave room for the top-k.
    mutating func setGroupedRouting(
        _ json: ConfigReader, scoring: ScoringFunction, correctionBias: Bool, groupScore: GroupScore,
        groups: Int, topKGroups: Int
    ) throws {
        var fields = RoutingFields(scoring: scoring, correctionBias: correctionBias, groups: groups,
                                   topKGroups: topKGroups, groupScore: groupScore)
        let factor = try json.double("routed_scaling_factor") ?? 1
        guard factor > 0 else {
            throw ModelError.invalidConfigValue(path: json.path, key: "routed_scaling_factor", reason: "must be positive, got \(factor)")
        }
        fields.scaling = Float(factor)
        if let problem = Self.groupProblem(fields, experts: numExperts, topK: topK) {
            throw ModelError.inconsistentConfig(path: json.path, reason: problem)
        }
        apply(fields)
    }

    /// The GGUF counterpart of `setGroupedRouting(_:...)`: groups from `{arch}.expert_group_count` /
    /// `expert_group_used_count` (1 when absent), the scaling factor from `expert_weights_scale`.
    mutating func setGroupedRouting(
        gguf metadata: GGUFMetadata, info: GGUFModelInfo, scoring: ScoringFunction, correctionBias: Bool, groupScore: GroupScore
    ) throws {
        let p = info.architecture.rawValue
        var fields = RoutingFields(scoring: scoring, correctionBias: correctionBias,
                                   groups: try metadata.int("\(p).expert_group_count") ?? 1,
                                   topKGroups: try metadata.int("\(p).expert_group_used_count") ?? 1, groupScore: groupScore)
        let factor = info.expertWeightsScale ?? 1
        guard factor > 0 else {
            throw GGUFError(.invalidValue, file: metadata.file, key: "\(p).expert_weights_scale", "must be positive, found \(factor)")
        }
        fields.scaling = Float(factor)
        if let problem = Self.groupProblem(fields, experts: numExperts, topK: topK) {
            throw GGUFError(.invalidValue, file: metadata.file, key: "\(p).expert_group_count", problem)
        }
        apply(fields)
    }

    private mutating func apply(_ fields: RoutingFields) {
        self.scoringFunction = fields.scoring
        self.scoreCorrectionBias = fields.correctionBias
        self.expertGroups = fields.groups
        self.topKGroups = fields.topKGroups
        self.groupScore = fields.groupScore
        self.routedScalingFactor = fields.scaling
    }

    /// Sets the shared experts of a family that counts them (`n_shared_experts` of
    /// `moe_intermediate_size` each, fused into one ungated shared expert).
    mutating func setSharedExperts(_ json: ConfigReader, defaultCount: Int) throws {
        let count = try json.int("n_shared_experts", default: defaultCount)
        guard count >= 0 else {
            throw ModelError.invalidConfigValue(path: json.path, key: "n_shared_experts", reason: "must not be negative, got \(count)")
        }
        sharedExpertIntermediateSize = count * moeIntermediateSize
        // Without a shared expert the flag keeps its default (init-model round trip).
        if count > 0 { sharedExpertGated = false }
    }

    /// Throws a clear error when `key` is present with a value other than the one the engine implements.
    static func expect(_ json: ConfigReader, _ key: String, _ supported: String) throws {
        if let value = try json.string(key), value != supported {
            throw ModelError.invalidConfigValue(path: json.path, key: key, reason: "\"\(value)\" is not supported (only \"\(supported)\")")
        }
    }

    /// Why the groups do not partition the experts or leave room for the top-k; nil when they do.
    private static func groupProblem(_ fields: RoutingFields, experts: Int, topK: Int) -> String? {
        guard experts > 0 else { return nil }
        guard fields.groups > 0, experts % fields.groups == 0 else {
            return "n_group (\(fields.groups)) must be positive and divide the \(experts) routed experts"
        }
        guard fields.topKGroups > 0, fields.topKGroups <= fields.groups else {
            return "topk_group (\(fields.topKGroups)) must be between 1 and n_group (\(fields.groups))"
        }
        let reachable = fields.topKGroups * (experts / fields.groups)
        guard topK <= reachable else {
            return "num_experts_per_tok (\(topK)) exceeds the \(reachable) experts of the topk_group (\(fields.topKGroups)) best groups"
        }
        return nil
    }
}
