import Foundation
import Testing
import TestSupport
@testable import SwitchyardModel

@Suite("ModelConfig parsing")
struct ConfigTests: ConfigDecodingSuite {


    @Test func mixtralDefaultsAndRopeParameters() throws {
        let config = try decode("""
        {"model_type": "mixtral", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
         "num_key_value_heads": 2, "vocab_size": 100, "intermediate_size": 96, "num_local_experts": 4,
         "rope_parameters": {"rope_type": "default", "rope_theta": 500000.0}, "sliding_window": 16,
         "head_dim": null, "dtype": "bfloat16"}
        """)
        #expect(config.family == .mixtral)
        #expect(config.headDim == 16)
        #expect(config.numExperts == 4 && config.topK == 2)
        #expect(config.moeIntermediateSize == 96 && config.intermediateSize == 96)
        #expect(config.normTopKProb)
        #expect(config.ropeTheta == 500_000)
        #expect(config.rmsNormEps == 1e-5)
        #expect(config.slidingWindow == 16 && config.slidingWindow(layer: 1) == 16)
        #expect(config.bosTokenID == 1 && config.eosTokenIDs == [2])
        #expect(config.maxPositionEmbeddings == 131_072)
        #expect(config.dtype == .bf16)
        #expect(!config.attentionBias && config.qkNorm == .none && !config.hasSharedExpert)
        #expect((0..<2).allSatisfy { config.isSparse(layer: $0) && config.ffnExperts(layer: $0) == 4 })
    }

    @Test func mixtralDefaultThetaIsOneMillionAndLegacyTopLevelThetaWorks() throws {
        let base = #""model_type": "mixtral", "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 4, "vocab_size": 10"#
        #expect(try decode("{\(base)}").ropeTheta == 1_000_000)
        #expect(try decode("{\(base), \"rope_theta\": 12345}").ropeTheta == 12345)
        // rope_scaling: null and a default-typed rope_scaling are accepted; theta inside wins.
        #expect(try decode("{\(base), \"rope_theta\": 7, \"rope_scaling\": null}").ropeTheta == 7)
        #expect(try decode("{\(base), \"rope_theta\": 7, \"rope_scaling\": {\"type\": \"default\", \"rope_theta\": 9}}").ropeTheta == 9)
        #expect(try decode("{\(base), \"rope_theta\": 7, \"rope_parameters\": {\"rope_type\": \"default\"}}").ropeTheta == 7)
    }

    @Test func unsupportedRopeTypesAreRejected() {
        let base = #""model_type": "qwen3_moe", "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 4, "vocab_size": 10, "num_experts": 4, "num_experts_per_tok": 2"#
        let yarn = error("{\(base), \"rope_parameters\": {\"rope_type\": \"yarn\", \"factor\": 4, \"rope_theta\": 10000}}")
        #expect(yarn?.contains("yarn") == true && yarn?.contains("not implemented") == true)
        let legacy = error("{\(base), \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2}}")
        #expect(legacy?.contains("linear") == true)
        #expect(error("{\(base), \"partial_rotary_factor\": 0.5}")?.contains("partial_rotary_factor") == true)
    }

    @Test func qwen2MoeSharedExpertSparseStepAndBias() throws {
        let config = try decode("""
        {"model_type": "qwen2_moe", "hidden_size": 64, "num_hidden_layers": 4, "num_attention_heads": 4,
         "num_key_value_heads": 2, "vocab_size": 100, "intermediate_size": 80, "moe_intermediate_size": 24,
         "shared_expert_intermediate_size": 40, "num_experts": 6, "num_experts_per_tok": 2,
         "decoder_sparse_step": 2, "mlp_only_layers": [3], "eos_token_id": 5}
        """, generation: #"{"eos_token_id": [7, 8], "bos_token_id": 3}"#)
        #expect(config.attentionBias && !config.outputBias)
        #expect(config.hasSharedExpert && config.sharedExpertIntermediateSize == 40)
        #expect(!config.normTopKProb)
        #expect(config.ropeTheta == 10_000 && config.rmsNormEps == 1e-6)
        #expect(config.eosTokenIDs == [7, 8] && config.bosTokenID == 3)
        // Sparse iff not in mlp_only_layers and (layer + 1) % 2 == 0: only layer 1.
        #expect((0..<4).map { config.isSparse(layer: $0) } == [false, true, false, false])
        #expect(config.ffnExperts(layer: 0) == 1 && config.ffnExperts(layer: 1) == 7)
        #expect(config.expertIntermediateSize(layer: 0, expert: 0) == 80)
        #expect(config.expertIntermediateSize(layer: 1, expert: 5) == 24)
        #expect(config.expertIntermediateSize(layer: 1, expert: 6) == 40)
        #expect(config.allExperts.count == 1 + 7 + 1 + 1)
        #expect(config.slidingWindow(layer: 0) == nil)
    }

    @Test func qwen2MoeSlidingWindowFollowsLayerTypes() throws {
        let config = try decode("""
        {"model_type": "qwen2_moe", "hidden_size": 32, "num_hidden_layers": 3, "num_attention_heads": 4,
         "num_key_value_heads": 4, "vocab_size": 10, "num_experts": 4, "num_experts_per_tok": 2, "use_sliding_window": true,
         "sliding_window": 8, "max_window_layers": 2}
        """)
        #expect(config.slidingWindow(layer: 0) == 8)
        #expect(config.slidingWindow(layer: 1) == nil)
        #expect(config.slidingWindow(layer: 2) == nil)
    }

    @Test func qwen3MoeHeadDimAndPerHeadNorm() throws {
        let config = try decode("""
        {"model_type": "qwen3_moe", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
         "num_key_value_heads": 2, "head_dim": 32, "vocab_size": 100, "moe_intermediate_size": 24,
         "num_local_experts": 8, "num_experts_per_tok": 3, "norm_topk_prob": true,
         "rope_parameters": {"rope_theta": 1000000.0, "rope_type": "default"}, "sliding_window": 4}
        """)
        #expect(config.headDim == 32 && config.qDim == 128 && config.kvDim == 64)
        #expect(config.qkNorm == .perHead)
        #expect(config.numExperts == 8 && config.topK == 3 && config.normTopKProb)
        #expect(config.slidingWindow == nil)  // use_sliding_window defaults to false
        #expect(!config.hasSharedExpert)
    }

    @Test func olmoeFullQKNormClipAndDefaults() throws {
        let config = try decode("""
        {"model_type": "olmoe", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
         "num_key_value_heads": null, "vocab_size": 100, "intermediate_size": 32, "num_experts": 8,
         "num_experts_per_tok": 2, "clip_qkv": 8.0, "rope_theta": 10000}
        """)
        #expect(config.numKVHeads == 4)
        #expect(config.qkNorm == .full && config.clipQKV == 8)
        #expect(config.moeIntermediateSize == 32)
        #expect(config.eosTokenIDs == [50279])
        #expect(!config.normTopKProb)
    }

    @Test func unknownModelTypeListsSupported() {
        // (This used "llama" until the llama family arrived.)
        let message = error(#"{"model_type": "bert", "hidden_size": 8}"#)
        #expect(message?.contains("bert") == true)
        for family in ModelFamily.allCases { #expect(message?.contains(family.rawValue) == true) }
        #expect(error(#"{"hidden_size": 8}"#)?.contains("model_type") == true)
    }

    @Test(arguments: [
        (#""hidden_size": 30, "num_attention_heads": 4"#, "not divisible"),
        (#""hidden_size": 40, "num_attention_heads": 5"#, "not a multiple"),
        (#""hidden_size": 32, "num_attention_heads": 4, "num_experts_per_tok": 9"#, "num_experts_per_tok"),
        (#""hidden_size": 32, "num_attention_heads": 4, "num_experts_per_tok": 0"#, "num_experts_per_tok"),
        (#""hidden_size": "big", "num_attention_heads": 4"#, "must be an integer"),
        (#""hidden_size": 32.5, "num_attention_heads": 4"#, "must be an integer"),
        (#""num_attention_heads": 4"#, "\"hidden_size\" is missing"),
        (#""hidden_size": 32, "num_attention_heads": 0"#, "must be positive"),
        (#""hidden_size": 32, "num_attention_heads": 4, "rms_norm_eps": -1"#, "rms_norm_eps"),
        (#""hidden_size": 32, "num_attention_heads": 4, "tie_word_embeddings": "yes""#, "true or false"),
        (#""hidden_size": 32, "num_attention_heads": 4, "hidden_act": "gelu""#, "silu"),
        (#""hidden_size": 32, "num_attention_heads": 4, "dtype": "float64""#, "float64"),
        (#""hidden_size": 32, "num_attention_heads": 4, "head_dim": 7"#, "even"),
    ])
    func inconsistentConfigsGiveClearErrors(keys: String, expected: String) {
        let message = error(#"{"model_type": "mixtral", "num_hidden_layers": 2, "vocab_size": 10, "num_local_experts": 8, "num_key_value_heads": 2, "#
                            + keys + "}")
        #expect(message?.contains(expected) == true, "got \(message ?? "no error")")
    }

    @Test func qwenMlpOnlyLayersOutOfRangeIsRejected() {
        let message = error("""
        {"model_type": "qwen3_moe", "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
         "vocab_size": 10, "num_experts": 4, "num_experts_per_tok": 2, "mlp_only_layers": [5]}
        """)
        #expect(message?.contains("mlp_only_layers") == true)
    }

    @Test func loadFromDirectoryReadsGenerationConfig() throws {
        let directory = try TemporaryDirectory()
        try Data(#"{"model_type": "olmoe", "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 4, "vocab_size": 50, "num_experts": 4, "num_experts_per_tok": 2, "eos_token_id": 3}"#.utf8)
            .write(to: directory.url.appendingPathComponent("config.json"))
        #expect(try ModelConfig.load(directory: directory.url).eosTokenIDs == [3])
        try Data(#"{"eos_token_id": 9}"#.utf8).write(to: directory.url.appendingPathComponent("generation_config.json"))
        #expect(try ModelConfig.load(directory: directory.url).eosTokenIDs == [9])
        try Data("{not json".utf8).write(to: directory.url.appendingPathComponent("generation_config.json"))
        #expect(throws: ModelError.self) { try ModelConfig.load(directory: directory.url) }
        let empty = try TemporaryDirectory()
        #expect { try ModelConfig.load(directory: empty.url) } throws: { error in
            String(describing: error).contains("config.json")
        }
    }
}
