import Foundation
import Testing
@testable import SwitchyardModel

/// `glm4_moe` config.json parsing: defaults of `Glm4MoeConfig`, routing keys and their checks.
@Suite("glm4_moe config")
struct GLM4MoeConfigTests: ConfigDecodingSuite {
    static let base = #""model_type": "glm4_moe", "hidden_size": 32, "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 10, "head_dim": 16"#



    @Test func routingDenseLayersRotaryAndNorms() throws {
        let config = try decode("""
        {\(Self.base), "n_routed_experts": 8, "num_experts_per_tok": 3, "moe_intermediate_size": 24,
         "n_shared_experts": 2, "n_group": 4, "topk_group": 2, "routed_scaling_factor": 2.5,
         "first_k_dense_replace": 1, "use_qk_norm": true, "attention_bias": true,
         "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.5}}
        """)
        #expect(config.family == .glm4_moe)
        #expect(config.numExperts == 8 && config.topK == 3)
        #expect(config.sharedExpertIntermediateSize == 48 && !config.sharedExpertGated)
        #expect(config.scoringFunction == .sigmoid && config.scoreCorrectionBias && config.groupScore == .topTwoSum)
        #expect(config.expertGroups == 4 && config.topKGroups == 2 && config.routedScalingFactor == 2.5)
        #expect(config.normTopKProb)
        #expect(!config.isSparse(layer: 0) && config.isSparse(layer: 1) && config.isSparse(layer: 2))
        #expect(config.ffnExperts(layer: 0) == 1 && config.ffnExperts(layer: 1) == 9)
        #expect(config.expertIntermediateSize(layer: 1, expert: 8) == 48)
        #expect(config.rotaryDim == 8 && config.qkNorm == .perHead)
        #expect(config.attentionBias && !config.outputBias)
    }

    @Test func defaultsFollowTransformers() throws {
        let config = try decode("{\(Self.base)}")
        #expect(config.numExperts == 128 && config.topK == 8 && config.moeIntermediateSize == 1408)
        #expect(config.sharedExpertIntermediateSize == 1408)
        #expect(config.mlpOnlyLayers == [0] && config.normTopKProb)
        #expect(config.expertGroups == 1 && config.topKGroups == 1 && config.routedScalingFactor == 1)
        // partial_rotary_factor defaults to 0.5 (Glm4MoeConfig.__post_init__).
        #expect(config.rotaryDim == 8 && config.qkNorm == .none && !config.attentionBias)
    }

    @Test func inconsistentGroupsAreClearErrors() {
        let experts = #""n_routed_experts": 8, "num_experts_per_tok": 4"#
        #expect(error("{\(Self.base), \(experts), \"n_group\": 3}")?.contains("n_group") == true)
        #expect(error("{\(Self.base), \(experts), \"n_group\": 4, \"topk_group\": 5}")?.contains("topk_group") == true)
        #expect(error("{\(Self.base), \(experts), \"n_group\": 4, \"topk_group\": 1}")?.contains("num_experts_per_tok") == true)
        #expect(error("{\(Self.base), \(experts), \"routed_scaling_factor\": 0}")?.contains("routed_scaling_factor") == true)
    }

    @Test func partialRotaryStaysRejectedWhereTransformersIgnoresIt() {
        let qwen = #""model_type": "qwen3_moe", "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 4, "vocab_size": 10"#
        #expect(error("{\(qwen), \"partial_rotary_factor\": 0.5}")?.contains("partial_rotary_factor") == true)
    }
}
