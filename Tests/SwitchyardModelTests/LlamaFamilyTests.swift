import Foundation
import Testing
import SwitchyardTensor
@testable import SwitchyardModel

/// The dense `llama` family: config keys, dense layout, Llama 3 RoPE scaling.
@Suite("Llama family")
struct LlamaFamilyTests: ConfigDecodingSuite {
    let base = #""model_type": "llama", "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 64"#


    @Test func denseEveryLayerIsExpertZero() throws {
        let config = try decode("{\(base), \"intermediate_size\": 48}")
        #expect(config.family == .llama && config.numExperts == 0)
        #expect((0..<2).allSatisfy { !config.isSparse(layer: $0) && config.ffnExperts(layer: $0) == 1 })
        #expect(config.expertIntermediateSize(layer: 1, expert: 0) == 48)
        #expect(WeightNames.expertProjection(config, layer: 1, expert: 0, .down) == "model.layers.1.mlp.down_proj.weight")
        #expect(config.ropeTheta == 10_000 && config.ropeScaling == nil && !config.tieWordEmbeddings)
    }

    @Test func attentionBiasCoversOutputProjection() throws {
        let config = try decode("{\(base), \"attention_bias\": true}")
        #expect(config.attentionBias && config.outputBias)
    }

    @Test func mlpBiasAndExpertsAreRefusedByName() {
        #expect { try decode("{\(base), \"mlp_bias\": true}") } throws: { "\($0)".contains("mlp_bias") }
        #expect { try decode("{\(base), \"num_experts\": 4, \"num_experts_per_tok\": 2}") } throws: { "\($0)".contains("dense") }
    }

    @Test func llama3RopeScalingFollowsTransformers() throws {
        let config = try decode("""
            {\(base), "rope_scaling": {"rope_type": "llama3", "rope_theta": 500000, "factor": 8, "low_freq_factor": 1,
             "high_freq_factor": 4, "original_max_position_embeddings": 8192}}
            """)
        let scaling = try #require(config.ropeScaling)
        #expect(config.ropeTheta == 500_000 && scaling.factor == 8 && scaling.originalMaxPositions == 8192)
        let plain = RoPE.inverseFrequencies(headDim: 8, theta: 500_000)
        let scaled = scaling.apply(to: plain)
        // wavelength 2π < 8192/4: kept; 2π·500000^(6/8) ≈ 120k > 8192: divided by 8.
        #expect(scaled[0] == plain[0])
        #expect(abs(scaled[3] - plain[3] / 8) < 1e-15)
        #expect { try decode("{\(base), \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8}}") } throws: {
            "\($0)".contains("low_freq_factor")
        }
    }

    @Test func presetsRoundTripAndAreDense() throws {
        for preset in ModelPreset.allCases {
            let config = preset.config(family: .llama)
            #expect(config.numExperts == 0 && config.allExperts.count == config.numLayers)
        }
    }
}
