import Foundation
import Testing
import SwitchyardModel

@Suite struct TensorNameMappingTests {
    func hf(_ name: String, _ arch: GGUFArchitecture, expert: Int? = nil) -> String? {
        GGUFHFTensorName.map(name, architecture: arch)?.hfName(expert: expert)
    }

    @Test func commonNames() {
        for arch in GGUFArchitecture.allCases {
            #expect(hf("token_embd.weight", arch) == "model.embed_tokens.weight")
            #expect(hf("output_norm.weight", arch) == "model.norm.weight")
            #expect(hf("output.weight", arch) == "lm_head.weight")
            #expect(hf("blk.3.attn_norm.weight", arch) == "model.layers.3.input_layernorm.weight")
            #expect(hf("blk.3.attn_v.weight", arch) == "model.layers.3.self_attn.v_proj.weight")
            #expect(hf("blk.3.attn_output.weight", arch) == "model.layers.3.self_attn.o_proj.weight")
        }
        #expect(hf("blk.0.attn_q.bias", .qwen2moe) == "model.layers.0.self_attn.q_proj.bias")
        #expect(hf("blk.1.ffn_norm.weight", .llama) == "model.layers.1.post_attention_layernorm.weight")
        #expect(hf("blk.1.attn_q_norm.weight", .qwen3moe) == "model.layers.1.self_attn.q_norm.weight")
        #expect(hf("blk.1.attn_k_norm.weight", .olmoe) == "model.layers.1.self_attn.k_norm.weight")
        #expect(hf("blk.0.ffn_up.weight", .llama) == "model.layers.0.mlp.up_proj.weight")
        #expect(hf("rope_freqs.weight", .llama) == nil && hf("blk.x.attn_q.weight", .llama) == nil)
    }

    @Test func moeNames() {
        let g = GGUFHFTensorName.map("blk.2.ffn_gate_exps.weight", architecture: .qwen3moe)
        #expect(g?.isStackedExperts == true && g?.layer == 2)
        #expect(g?.hfName(expert: 7) == "model.layers.2.mlp.experts.7.gate_proj.weight")
        #expect(hf("blk.2.ffn_down_exps.weight", .olmoe, expert: 0) == "model.layers.2.mlp.experts.0.down_proj.weight")
        #expect(hf("blk.2.ffn_gate_inp.weight", .qwen3moe) == "model.layers.2.mlp.gate.weight")
        // Mixtral (llama arch)
        #expect(hf("blk.0.ffn_gate_inp.weight", .llama) == "model.layers.0.block_sparse_moe.gate.weight")
        #expect(hf("blk.0.ffn_gate_exps.weight", .llama, expert: 1) == "model.layers.0.block_sparse_moe.experts.1.w1.weight")
        #expect(hf("blk.0.ffn_up_exps.weight", .llama, expert: 1) == "model.layers.0.block_sparse_moe.experts.1.w3.weight")
        #expect(hf("blk.0.ffn_down_exps.weight", .llama, expert: 1) == "model.layers.0.block_sparse_moe.experts.1.w2.weight")
        let old = GGUFHFTensorName.map("blk.0.ffn_down.5.weight", architecture: .llama)
        #expect(old?.expert == 5 && old?.hfName() == "model.layers.0.block_sparse_moe.experts.5.w2.weight")
        // Shared experts
        #expect(hf("blk.4.ffn_up_shexp.weight", .qwen2moe) == "model.layers.4.mlp.shared_expert.up_proj.weight")
        #expect(hf("blk.4.ffn_gate_inp_shexp.weight", .qwen2moe) == "model.layers.4.mlp.shared_expert_gate.weight")
        #expect(hf("blk.4.ffn_down_shexp.weight", .deepseek2) == "model.layers.4.mlp.shared_experts.down_proj.weight")
        #expect(hf("blk.4.exp_probs_b.bias", .glm4moe) == "model.layers.4.mlp.gate.e_score_correction_bias")
        #expect(hf("blk.4.post_attention_norm.weight", .glm4moe) == "model.layers.4.post_attention_layernorm.weight")
        #expect(hf("blk.4.attn_kv_a_mqa.weight", .deepseek2) == "model.layers.4.self_attn.kv_a_proj_with_mqa.weight")
        #expect(hf("blk.4.attn_sinks.weight", .gptOSS) == "model.layers.4.self_attn.sinks")
        #expect(hf("blk.4.ffn_gate_inp.bias", .gptOSS) == "model.layers.4.mlp.router.bias")
        // gpt-oss experts: per projection (transformers fuses gate and up), with their biases.
        #expect(hf("blk.4.ffn_gate_exps.weight", .gptOSS) == "model.layers.4.mlp.experts.{e}.gate_proj.weight")
        #expect(hf("blk.4.ffn_down_exps.bias", .gptOSS) == "model.layers.4.mlp.experts.{e}.down_proj.bias")
        #expect(hf("blk.4.attn_k_b.weight", .deepseek2) == nil)
    }

    @Test func qkPermutationFlag() {
        #expect(GGUFHFTensorName.map("blk.0.attn_q.weight", architecture: .llama)?.permutedQK == .query)
        #expect(GGUFHFTensorName.map("blk.0.attn_k.weight", architecture: .llama)?.permutedQK == .key)
        #expect(GGUFHFTensorName.map("blk.0.attn_q.weight", architecture: .qwen3moe)?.permutedQK == nil)
    }

    @Test func inversePermutationMatchesConverter() {
        let e = GGUFFixtures.expected()["llama_permute"] as! [String: Any]
        let nHead = e["n_head"] as! Int, nKV = e["n_head_kv"] as! Int, hd = e["head_dim"] as! Int
        let q = e["q_gguf_to_hf"] as! [Int], k = e["k_gguf_to_hf"] as! [Int]
        let heads = GGUFQKPermutation.heads(for: .key, headCount: nHead, headCountKV: nKV)
        #expect(GGUFQKPermutation.hfRowOrder(rowCount: nHead * hd, heads: nHead) == q)
        #expect(GGUFQKPermutation.hfRowOrder(rowCount: nKV * hd, heads: heads) == k)
        for g in 0 ..< q.count {
            let h = GGUFQKPermutation.hfRow(forGGUFRow: g, rowCount: q.count, heads: nHead)
            #expect(GGUFQKPermutation.ggufRow(forHFRow: h, rowCount: q.count, heads: nHead) == g)
        }
        // Hand-checked: 1 head of 4 rows: GGUF rows hold HF rows [0, 2, 1, 3].
        #expect(GGUFQKPermutation.hfRowOrder(rowCount: 4, heads: 1) == [0, 2, 1, 3])
    }
}
