import Foundation
import Testing
import SwitchyardModel

func metadata(_ pairs: [String: GGUFMetadataValue]) -> GGUFMetadata {
    GGUFMetadata(file: "synthetic.gguf", keys: pairs.keys.sorted(), values: pairs)
}

func tokens(_ n: Int) -> GGUFMetadataValue {
    .array(elementType: .string, values: (0 ..< n).map { .string("t\($0)") })
}

@Suite struct ModelInfoTests {
    @Test func fixtureMixtralStyleLlama() throws {
        let info = try GGUFModelInfo(file: GGUFFile(path: GGUFFixtures.tinyPath))
        #expect(info.architecture == .llama && info.name == "tiny-moe")
        #expect(info.contextLength == 256 && info.embeddingLength == 64 && info.blockCount == 1)
        #expect(info.headCount == 4 && info.headCountKV == 2 && info.keyLength == 16 && info.valueLength == 16)
        #expect(info.feedForwardLength == 96 && info.expertFeedForwardLength == 96)
        #expect(info.isMoE && info.expertCount == 4 && info.expertUsedCount == 2)
        #expect(abs(info.rmsNormEpsilon - 1e-5) < 1e-9 && info.ropeFreqBase == 10000 && info.ropeDimensionCount == 16)
        #expect(info.ropeScaling.type == "linear" && info.ropeScaling.factor == 2)
        #expect(info.vocabSize == 10 && info.tiedEmbeddings)
    }

    @Test func qwen3moe() throws {
        let m = metadata([
            "general.architecture": .string("qwen3moe"),
            "qwen3moe.context_length": .uint32(40960), "qwen3moe.embedding_length": .uint32(2048),
            "qwen3moe.block_count": .uint32(48), "qwen3moe.feed_forward_length": .uint32(6144),
            "qwen3moe.expert_feed_forward_length": .uint32(768), "qwen3moe.attention.head_count": .uint32(32),
            "qwen3moe.attention.head_count_kv": .uint32(4), "qwen3moe.attention.key_length": .uint32(128),
            "qwen3moe.attention.value_length": .uint32(128), "qwen3moe.attention.layer_norm_rms_epsilon": .float32(1e-6),
            "qwen3moe.rope.freq_base": .float32(1_000_000), "qwen3moe.expert_count": .uint32(128),
            "qwen3moe.expert_used_count": .uint32(8), "tokenizer.ggml.tokens": tokens(20),
        ])
        let info = try GGUFModelInfo(metadata: m, tensorNames: ["output.weight"])
        #expect(info.architecture == .qwen3moe && info.keyLength == 128 && info.ropeDimensionCount == 128)
        #expect(info.expertFeedForwardLength == 768 && info.expertCount == 128 && info.expertUsedCount == 8)
        #expect(info.ropeFreqBase == 1_000_000 && !info.tiedEmbeddings && info.vocabSize == 20)
    }

    @Test func qwen2moeSharedExpertAndOlmoe() throws {
        let q = try GGUFModelInfo(metadata: metadata([
            "general.architecture": .string("qwen2moe"),
            "qwen2moe.context_length": .uint32(8192), "qwen2moe.embedding_length": .uint32(2048),
            "qwen2moe.block_count": .uint32(24), "qwen2moe.attention.head_count": .uint32(16),
            "qwen2moe.attention.layer_norm_rms_epsilon": .float32(1e-6),
            "qwen2moe.expert_feed_forward_length": .uint32(1408), "qwen2moe.expert_shared_feed_forward_length": .uint32(5632),
            "qwen2moe.expert_count": .uint32(60), "qwen2moe.expert_used_count": .uint32(4),
            "qwen2moe.vocab_size": .uint32(151936),
        ]), tensorNames: [])
        #expect(q.expertSharedFeedForwardLength == 5632 && q.headCountKV == 16 && q.vocabSize == 151936)
        let o = try GGUFModelInfo(metadata: metadata([
            "general.architecture": .string("olmoe"),
            "olmoe.context_length": .uint32(4096), "olmoe.embedding_length": .uint32(2048),
            "olmoe.block_count": .uint32(16), "olmoe.attention.head_count": .uint32(16),
            "olmoe.attention.layer_norm_rms_epsilon": .float32(1e-5), "olmoe.feed_forward_length": .uint32(1024),
            "olmoe.expert_feed_forward_length": .uint32(1024),
            "olmoe.expert_count": .uint32(64), "olmoe.expert_used_count": .uint32(8),
            "olmoe.expert_weights_norm": .bool(false), "tokenizer.ggml.tokens": tokens(5),
        ]), tensorNames: [])
        #expect(o.expertWeightsNorm == false && o.expertCount == 64)
    }

    @Test func deepseek2AndPerLayerArrays() throws {
        let d = try GGUFModelInfo(metadata: metadata([
            "general.architecture": .string("deepseek2"),
            "deepseek2.context_length": .uint32(163840), "deepseek2.embedding_length": .uint32(2048),
            "deepseek2.block_count": .uint32(27), "deepseek2.feed_forward_length": .uint32(10944),
            "deepseek2.attention.head_count": .array(elementType: .int32, values: Array(repeating: .int32(16), count: 27)),
            "deepseek2.attention.head_count_kv": .uint32(16), "deepseek2.attention.key_length": .uint32(192),
            "deepseek2.attention.value_length": .uint32(128), "deepseek2.attention.kv_lora_rank": .uint32(512),
            "deepseek2.attention.layer_norm_rms_epsilon": .float32(1e-6), "deepseek2.rope.dimension_count": .uint32(64),
            "deepseek2.leading_dense_block_count": .uint32(1), "deepseek2.expert_feed_forward_length": .uint32(1408),
            "deepseek2.expert_count": .uint32(64), "deepseek2.expert_used_count": .uint32(6),
            "deepseek2.expert_shared_count": .uint32(2), "deepseek2.expert_weights_scale": .float32(1),
            "deepseek2.expert_gating_func": .uint32(1), "deepseek2.rope.scaling.type": .string("yarn"),
            "deepseek2.rope.scaling.factor": .float32(40), "deepseek2.rope.scaling.original_context_length": .uint32(4096),
            "deepseek2.rope.scaling.yarn_log_multiplier": .float32(0.0707),
            "tokenizer.ggml.tokens": tokens(3),
        ]), tensorNames: [])
        #expect(d.headCount == 16 && d.kvLoraRank == 512 && d.ropeDimensionCount == 64 && d.leadingDenseBlockCount == 1)
        #expect(d.ropeScaling.type == "yarn" && d.ropeScaling.originalContextLength == 4096 && d.expertSharedCount == 2)
        // Non-uniform per-layer values are rejected.
        var values = [String: GGUFMetadataValue]()
        values["general.architecture"] = .string("llama")
        values["llama.attention.head_count"] = .array(elementType: .int32, values: [.int32(4), .int32(8)])
        #expect { try GGUFModelInfo(metadata: metadata(values), tensorNames: []) } throws: { _ in true }
    }

    @Test func unsupportedArchitectureListsSupported() {
        let m = metadata(["general.architecture": .string("bert")])
        #expect { try GGUFModelInfo(metadata: m, tensorNames: []) } throws: { e in
            guard let e = e as? GGUFError else { return false }
            return e.kind == .unsupportedArchitecture && e.detail.contains("qwen3moe") && e.detail.contains("bert")
        }
    }

    @Test func missingAndInvalidKeys() {
        let base: [String: GGUFMetadataValue] = [
            "general.architecture": .string("llama"), "llama.context_length": .uint32(10),
            "llama.embedding_length": .uint32(64), "llama.block_count": .uint32(1),
            "llama.attention.head_count": .uint32(4), "llama.attention.layer_norm_rms_epsilon": .float32(1e-5),
            "llama.feed_forward_length": .uint32(8), "tokenizer.ggml.tokens": tokens(4),
        ]
        #expect(throws: Never.self) { try GGUFModelInfo(metadata: metadata(base), tensorNames: []) }
        var m = base
        m["llama.block_count"] = nil
        #expect { try GGUFModelInfo(metadata: metadata(m), tensorNames: []) } throws: {
            ($0 as? GGUFError)?.kind == .missingKey && ($0 as? GGUFError)?.key == "llama.block_count"
        }
        m = base
        m["llama.attention.head_count_kv"] = .uint32(3)
        #expect { try GGUFModelInfo(metadata: metadata(m), tensorNames: []) } throws: { ($0 as? GGUFError)?.kind == .invalidValue }
        m = base
        m["llama.expert_count"] = .uint32(4)
        m["llama.expert_used_count"] = .uint32(5)
        #expect { try GGUFModelInfo(metadata: metadata(m), tensorNames: []) } throws: { ($0 as? GGUFError)?.kind == .invalidValue }
        m = base
        m["llama.context_length"] = .string("x")
        #expect { try GGUFModelInfo(metadata: metadata(m), tensorNames: []) } throws: { ($0 as? GGUFError)?.kind == .wrongValueType }
    }
}
