import Foundation
import Testing
import SwitchyardTensor
@testable import SwitchyardModel

/// deepseek config parsing and the latent KV cache.
@Suite("Multi-head latent attention (deepseek)")
struct LatentAttentionTests: ConfigDecodingSuite {
    /// DeepSeek-V3's config.json (the keys that shape the model).
    static let deepSeekV3 = """
    {"model_type": "deepseek_v3", "hidden_size": 7168, "num_hidden_layers": 61, "num_attention_heads": 128,
     "num_key_value_heads": 128, "vocab_size": 129280, "intermediate_size": 18432, "moe_intermediate_size": 2048,
     "n_routed_experts": 256, "num_experts_per_tok": 8, "n_shared_experts": 1, "n_group": 8, "topk_group": 4,
     "routed_scaling_factor": 2.5, "first_k_dense_replace": 3, "norm_topk_prob": true, "q_lora_rank": 1536,
     "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128,
     "scoring_func": "sigmoid", "topk_method": "noaux_tc", "hidden_act": "silu", "rms_norm_eps": 1e-6}
    """



    @Test("DeepSeek-V3: 576 cached values per token and layer, not 40,960")
    func cacheHoldsTheLatent() throws {
        let config = try decode(Self.deepSeekV3)
        let mla = try #require(config.latentAttention)
        #expect(mla.cachedWidth == 576 && mla.queryHeadDim == 192)
        #expect(config.headDim == 64 && config.ropeInterleaved)
        #expect(KVCache.bytesPerToken(config) == 61 * 576 * 4)
        let expanded = 61 * 128 * (192 + 128) * 4
        #expect(KVCache.expandedBytesPerToken(config) == expanded)
        #expect(expanded / KVCache.bytesPerToken(config) > 70)
        #expect(config.attentionInputWidth == 1536 + 576 && config.attentionOutputWidth == 128 * 128)
        #expect(config.scoringFunction == .sigmoid && config.expertGroups == 8 && config.topKGroups == 4)
        #expect(config.mlpOnlyLayers == [0, 1, 2] && config.sharedExpertIntermediateSize == 2048)
        #expect(abs(config.attentionScale - 1 / Float(192).squareRoot()) < 1e-9)
    }

    @Test("a small MLA cache allocates capacity x layers x latent floats")
    func cacheBytes() throws {
        let config = try decode(Self.deepSeekV3.replacingOccurrences(of: "\"num_hidden_layers\": 61", with: "\"num_hidden_layers\": 2"))
        let cache = KVCache(config: config, capacity: 10)
        #expect(cache.byteCount == 10 * 2 * 576 * 4)
    }

    @Test("unsupported routing keys are clear errors")
    func unsupportedRouting() {
        let scoring = error(Self.deepSeekV3.replacingOccurrences(of: "\"scoring_func\": \"sigmoid\"", with: "\"scoring_func\": \"sqrtsoftplus\""))
        #expect(scoring?.contains("scoring_func") == true && scoring?.contains("sqrtsoftplus") == true)
        let method = error(Self.deepSeekV3.replacingOccurrences(of: "\"topk_method\": \"noaux_tc\"", with: "\"topk_method\": \"greedy\""))
        #expect(method?.contains("topk_method") == true)
        let v2 = #"{"model_type": "deepseek_v2", "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 4, "vocab_size": 10, "n_routed_experts": 8, "num_experts_per_tok": 2, "topk_method": "noaux_tc"}"#
        #expect(error(v2)?.contains("topk_method") == true)
        let v2Groups = v2.replacingOccurrences(of: "noaux_tc", with: "group_limited_greedy")
        #expect(error(v2Groups)?.contains("n_group") == true)
    }

    @Test("deepseek_v2: softmax greedy, never renormalised, null q_lora_rank means q_proj")
    func deepSeekV2() throws {
        let config = try decode(#"{"model_type": "deepseek_v2", "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 10, "n_routed_experts": 8, "num_experts_per_tok": 2, "norm_topk_prob": true, "q_lora_rank": null, "kv_lora_rank": 16, "qk_nope_head_dim": 8, "qk_rope_head_dim": 8, "v_head_dim": 8}"#)
        #expect(config.scoringFunction == .softmax && !config.normTopKProb && config.expertGroups == 1)
        #expect(config.latentAttention?.qLoraRank == nil && config.attentionInputWidth == 4 * 16 + 24)
        #expect(config.mlpOnlyLayers.isEmpty && config.sharedExpertIntermediateSize == 2 * 1407)
    }

    @Test("synthetic MLA engine: prefill then decode equals one longer prefill")
    func prefillDecodeConsistency() async throws {
        var config = try decode(#"{"model_type": "deepseek_v3", "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 50, "intermediate_size": 48, "moe_intermediate_size": 16, "n_routed_experts": 4, "num_experts_per_tok": 2, "n_group": 2, "topk_group": 1, "first_k_dense_replace": 1, "q_lora_rank": 12, "kv_lora_rank": 16, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 6}"#)
        config.eosTokenIDs = []
        BLAS.setThreads(1)
        let engine = try Engine.synthetic(config: config, seed: 3)
        let tokens: [Int32] = [3, 14, 15, 9, 26, 5]
        let whole = KVCache(config: config, capacity: 8)
        let all = try await engine.forward([EngineInput(cache: whole, tokens: tokens)]).toArray()
        let split = KVCache(config: config, capacity: 8)
        _ = try await engine.forward([EngineInput(cache: split, tokens: Array(tokens.prefix(4)))])
        _ = try await engine.forward([EngineInput(cache: split, tokens: [tokens[4]])])
        let last = try await engine.forward([EngineInput(cache: split, tokens: [tokens[5]])]).toArray()
        for (a, b) in zip(all, last) { #expect(abs(a - b) < 1e-4) }
    }
}
