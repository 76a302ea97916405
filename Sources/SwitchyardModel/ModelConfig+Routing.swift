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

    /// Reads the routing keys of `family` (`n_group`, `topk_group`, `routed_scaling_factor`) and
    /// checks that the groups partition the experts and leave room for the top-k.
    static func parseRouting(_ json: ConfigReader, family: ModelFamily, experts: Int, topK: Int) throws -> RoutingFields {
        var fields = RoutingFields()
        switch family {
        case .mixtral, .qwen2_moe, .qwen3_moe, .olmoe:
            return fields
        case .glm4_moe:
            // Glm4MoeTopkRouter: sigmoid scores, e_score_correction_bias, groups by their top-2 sum.
            fields.scoring = .sigmoid
            fields.correctionBias = true
            fields.groupScore = .topTwoSum
            fields.groups = try json.int("n_group", default: 1)
            fields.topKGroups = try json.int("topk_group", default: 1)
        case .deepseek_v3:
            // DeepseekV3TopkRouter: the same noaux_tc routing; real configs also name it.
            try expect(json, "scoring_func", "sigmoid")
            try expect(json, "topk_method", "noaux_tc")
            fields.scoring = .sigmoid
            fields.correctionBias = true
            fields.groupScore = .topTwoSum
            fields.groups = try json.int("n_group", default: 8)
            fields.topKGroups = try json.int("topk_group", default: 4)
        case .deepseek_v2:
            // DeepseekV2TopkRouter: softmax, then greedy or group-limited greedy (groups by their max).
            try expect(json, "scoring_func", "softmax")
            let method = try json.string("topk_method") ?? "greedy"
            switch method {
            case "greedy":
                break
            case "group_limited_greedy":
                guard let groups = try json.int("n_group"), let kept = try json.int("topk_group") else {
                    throw ModelError.inconsistentConfig(path: json.path, reason: "topk_method \"group_limited_greedy\" needs n_group and topk_group")
                }
                fields.groups = groups
                fields.topKGroups = kept
            default:
                throw ModelError.invalidConfigValue(path: json.path, key: "topk_method", reason: "\"\(method)\" is not supported for deepseek_v2 (greedy, group_limited_greedy)")
            }
        }
        let factor = try json.double("routed_scaling_factor") ?? 1
        guard factor > 0 else {
            throw ModelError.invalidConfigValue(path: json.path, key: "routed_scaling_factor", reason: "must be positive, got \(factor)")
        }
        fields.scaling = Float(factor)
        try checkGroups(fields, json: json, experts: experts, topK: topK)
        return fields
    }

    /// Throws a clear error when `key` is present with a value other than the one the engine implements.
    private static func expect(_ json: ConfigReader, _ key: String, _ supported: String) throws {
        if let value = try json.string(key), value != supported {
            throw ModelError.invalidConfigValue(path: json.path, key: key, reason: "\"\(value)\" is not supported (only \"\(supported)\")")
        }
    }

    private static func checkGroups(_ fields: RoutingFields, json: ConfigReader, experts: Int, topK: Int) throws {
        guard experts > 0 else { return }
        guard fields.groups > 0, experts % fields.groups == 0 else {
            throw ModelError.inconsistentConfig(path: json.path, reason: "n_group (\(fields.groups)) must be positive and divide the \(experts) routed experts")
        }
        guard fields.topKGroups > 0, fields.topKGroups <= fields.groups else {
            throw ModelError.inconsistentConfig(path: json.path, reason: "topk_group (\(fields.topKGroups)) must be between 1 and n_group (\(fields.groups))")
        }
        let reachable = fields.topKGroups * (experts / fields.groups)
        guard topK <= reachable else {
            throw ModelError.inconsistentConfig(path: json.path, reason: "num_experts_per_tok (\(topK)) exceeds the \(reachable) experts of the topk_group (\(fields.topKGroups)) best groups")
        }
    }
}
