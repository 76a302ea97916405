import Foundation
import SwitchyardTensor
import SwitchyardTools
import Testing
@testable import SwitchyardModel

/// gpt_oss pieces against transformers' `modeling_gpt_oss.py` formulas (the golden fixtures
/// `gpt_oss_*` check the whole model): config defaults and checks, the clamped SwiGLU, the router's
/// softmax over the top-k logits, attention sinks, and the MXFP4 expert layout.
@Suite("gpt_oss")
struct GptOssTests: ConfigDecodingSuite {
    static let base = #""model_type": "gpt_oss", "hidden_size": 32, "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 10, "head_dim": 8, "num_local_experts": 4"#



    @Test func configDefaultsAreGptOssConfigs() throws {
        let config = try decode("{\(Self.base)}")
        #expect(config.family == .gpt_oss && config.topK == 4 && config.numExperts == 4)
        #expect(config.slidingWindow == 128 && config.slidingWindowLayers == [0, 2])
        #expect(config.slidingWindow(layer: 0) == 128 && config.slidingWindow(layer: 1) == nil)
        #expect(config.ropeTheta == 150_000 && config.ropeYaRN == GptOss.defaultYaRN && config.ropeYaRN?.truncate == false)
        #expect(config.expertActivation == .clampedSwiGLU(alpha: 1.702, limit: 7))
        #expect(config.attentionBias && config.outputBias && config.attentionSinks && config.routerBias && config.expertBias)
        #expect(config.scoringFunction == .softmaxOverTopK && config.attentionScale == 1 / Float(8).squareRoot())
        #expect(WeightNames.routerGate(.gpt_oss, layer: 1) == "model.layers.1.mlp.router.weight")
    }

    @Test func layerTypesWindowAndSwiGLUKeys() throws {
        let config = try decode("""
        {\(Self.base), "sliding_window": 5, "swiglu_alpha": 1.5, "swiglu_limit": 3.0, "attention_bias": false,
         "layer_types": ["full_attention", "sliding_attention", "sliding_attention", "full_attention"],
         "rope_parameters": {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0, "original_max_position_embeddings": 16, "truncate": false}}
        """)
        #expect(config.slidingWindow == 5 && config.slidingWindowLayers == [1, 2])
        #expect(config.expertActivation == .clampedSwiGLU(alpha: 1.5, limit: 3))
        #expect(!config.attentionBias && !config.outputBias)
        #expect(config.ropeTheta == 10_000 && config.ropeYaRN?.factor == 4 && config.ropeYaRN?.originalMaxPositions == 16)
        let full = try decode("{\(Self.base), \"sliding_window\": null}")
        #expect((0..<4).allSatisfy { full.slidingWindow(layer: $0) == nil })
    }

    @Test func badValuesAreClearErrors() {
        #expect(error("{\(Self.base), \"layer_types\": [\"full_attention\"]}")?.contains("layer_types has 1 entries for 4 layers") == true)
        #expect(error("{\(Self.base), \"layer_types\": [\"full_attention\", \"chunked_attention\", \"full_attention\", \"full_attention\"]}")?
            .contains("chunked_attention") == true)
        #expect(error("{\(Self.base), \"swiglu_limit\": 0}")?.contains("swiglu_limit") == true)
        #expect(error("{\(Self.base), \"quantization_config\": {\"quant_method\": \"fp8\"}}")?.contains("fp8") == true)
        #expect(error("{\(Self.base), \"quantization_config\": {\"quant_method\": \"mxfp4\"}}") == nil)
        #expect(error("{\(Self.base), \"rope_parameters\": {\"rope_type\": \"longrope\", \"factor\": 2.0}}")?.contains("longrope") == true)
    }

    /// `GptOssExperts._apply_gate`: gate clamped above, up both sides, `(up + 1) * gate * sigmoid(alpha * gate)`.
    @Test func clampedSwiGLUFollowsTransformers() {
        let gate: [Float] = [-9, -2, -0.3, 0, 0.7, 2.5, 6.9, 7.5, 20]
        let up: [Float] = [-8, -7.2, -1, 0.4, 3, 6.99, 7, 9, -0.5]
        var out = [Float](repeating: .nan, count: gate.count)
        let activation = ExpertActivation.clampedSwiGLU(alpha: 1.702, limit: 7)
        activation.apply(gate: gate, up: up, ldIn: gate.count, output: &out, ldOut: gate.count, rows: 1, cols: gate.count)
        for i in gate.indices {
            let g = min(Double(gate[i]), 7)
            let u = min(max(Double(up[i]), -7), 7)
            let expected = (u + 1) * g / (1 + exp(-1.702 * g))
            #expect(abs(Double(out[i]) - expected) < 1e-5 * max(1, abs(expected)), "element \(i): \(out[i]) vs \(expected)")
        }
    }

    /// `GptOssTopKRouter`: top-k of the biased logits, softmax over those k only.
    @Test func routerSoftmaxesTheTopKLogits() {
        var config = ModelInitializer.config(family: .gpt_oss, preset: .tiny)
        config.numExperts = 5
        config.topK = 2
        var logits: [Float] = [0.5, 2, -1, 1.5, 1.4]
        var routes = ExpertRoutes(rows: 0, slotsPerRow: 0, expertIDs: [], weights: [])
        logits.withUnsafeMutableBufferPointer {
            Gating.route(config: config, layer: 0, rows: 1, logits: $0.baseAddress, sharedLogits: nil, into: &routes)
        }
        #expect(routes.expertIDs == [1, 3])
        let first = 1 / (1 + exp(Double(-0.5)))
        #expect(abs(Double(routes.weights[0]) - first) < 1e-6 && abs(Double(routes.weights[1]) - (1 - first)) < 1e-6)
    }

    /// `eager_attention_forward` with sinks: the sink logit joins each head's softmax and is dropped.
    @Test(arguments: [nil, 3] as [Int?])
    func sinksJoinTheSoftmaxDenominator(window: Int?) {
        var config = ModelInitializer.config(family: .gpt_oss, preset: .tiny)
        config.numLayers = 1
        let (heads, kvHeads, d) = (config.numHeads, config.numKVHeads, config.headDim)
        let length = 6
        let rows = 4
        let start = length - rows
        let cache = KVCache(config: config, capacity: length)
        var g = SeededGenerator(seed: 7)
        for head in 0..<kvHeads {
            let keys = Matrix.random(rows: length, cols: d, scale: 1, generator: &g)
            let values = Matrix.random(rows: length, cols: d, scale: 1, generator: &g)
            cache.keys(layer: 0, head: head).update(from: keys.base, count: length * d)
            cache.values(layer: 0, head: head).update(from: values.base, count: length * d)
        }
        let q = Matrix.random(rows: rows, cols: heads * d, scale: 1, generator: &g)
        let sinks: [Float] = [0.3, -1, 2.5, 0]
        let attention = Attention(config: config)
        let prefill = Matrix(rows: rows, cols: heads * d)
        attention.compute(q: q.base, ldQ: heads * d, rows: rows, start: start, cache: cache, layer: 0, window: window,
                          sinks: sinks, output: prefill.base, ldOut: heads * d, scratch: Matrix(rows: 0, cols: 1))
        for r in 0..<rows {
            let decode = Matrix(rows: 1, cols: heads * d)
            attention.compute(q: q.row(r), ldQ: heads * d, rows: 1, start: start + r, cache: cache, layer: 0, window: window,
                              sinks: sinks, output: decode.base, ldOut: heads * d, scratch: Matrix(rows: 0, cols: 1))
            let position = start + r
            let lo = window.map { max(0, position - $0 + 1) } ?? 0
            for h in 0..<heads {
                let g = h / (heads / kvHeads)
                let keys = cache.keys(layer: 0, head: g)
                let values = cache.values(layer: 0, head: g)
                var logits: [Double] = (lo...position).map { j in
                    (0..<d).reduce(0.0) { $0 + Double(q.row(r)[h * d + $1]) * Double(keys[j * d + $1]) } / Double(d).squareRoot()
                }
                logits.append(Double(sinks[h]))
                let top = logits.max()!
                let total = logits.reduce(0.0) { $0 + exp($1 - top) }
                for c in 0..<d {
                    var expected = 0.0
                    for (n, j) in (lo...position).enumerated() { expected += exp(logits[n] - top) / total * Double(values[j * d + c]) }
                    #expect(abs(Double(prefill.row(r)[h * d + c]) - expected) < 1e-5, "row \(r) head \(h)")
                    #expect(abs(Double(decode.base[h * d + c]) - expected) < 1e-5, "decode row \(r) head \(h)")
                }
            }
        }
    }

    /// The MXFP4 fixture's first gate and up weights decoded by hand from the stored bytes: rows
    /// of `gate_up_proj_blocks` alternate gate and up, 32 values per scale, the low nibble first.
    @Test func mxfp4LayoutDecodesByHand() throws {
        let fixture = try GoldenFixture.load("gpt_oss_mxfp4")
        let config = try ModelConfig.load(directory: fixture.directory)
        let checkpoint = try Checkpoint(directory: fixture.directory, config: config)
        let (h, i, e) = (config.hiddenSize, config.moeIntermediateSize, config.numExperts)
        let name = WeightNames.fusedGateUp(layer: 1)
        #expect(checkpoint.info(name + "_blocks")?.dtype == .u8)
        let blocks = try checkpoint.matrix(name + "_blocks", shape: [e, 2 * i, h / 32, 16])
        let scales = try checkpoint.matrix(name + "_scales", shape: [e, 2 * i, h / 32])
        let expert = 2
        let weights = try checkpoint.expertFFN(layer: 1, expert: expert)
        let fp4: [Float] = [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6]
        for (row, matrix) in [(0, weights.gate), (1, weights.up), (2 * 5, weights.gate), (2 * 5 + 1, weights.up)] {
            let slot = expert * 2 * i + row
            for column in [0, 1, 30, 33, h - 1] {
                let group = column / 32
                let byte = Int(blocks.base[(slot * (h / 32) + group) * 16 + (column % 32) / 2])
                let nibble = column % 2 == 0 ? byte & 0x0F : byte >> 4
                let scale = Int(scales.base[slot * (h / 32) + group]) - 127
                let expected = fp4[nibble] * Float(pow(2.0, Double(scale)))
                #expect(matrix.row(row / 2)[column] == expected, "row \(row) column \(column)")
            }
        }
        // Kept as MXFP4 under --dtype auto; bf16 holds every MXFP4 value exactly too.
        let (_, stored) = try checkpoint.interleavedExpertWeights(ExpertKey(layer: 1, expert: expert))
        #expect(stored == .mxfp4)
        #expect(weights.gate.toArray().allSatisfy { DTypeConversion.bf16BitsToFloat(DTypeConversion.floatToBF16Bits($0)) == $0 })
    }

    @Test func workersMapOnlyTheirExpertsOfTheFusedTensors() throws {
        let fixture = try GoldenFixture.load("gpt_oss_mxfp4")
        let config = try ModelConfig.load(directory: fixture.directory)
        let key = ExpertKey(layer: 2, expert: 4)
        let worker = try Checkpoint(directory: fixture.directory, config: config, filter: .experts([key]))
        let whole = try Checkpoint(directory: fixture.directory, config: config)
        let a = try worker.expertFFN(layer: 2, expert: 4)
        let b = try whole.expertFFN(layer: 2, expert: 4)
        #expect(a.gate.toArray() == b.gate.toArray() && a.down.toArray() == b.down.toArray() && a.downBias == b.downBias)
        #expect(throws: ModelError.self) { try worker.expertFFN(layer: 2, expert: 3) }
        let router = try Checkpoint(directory: fixture.directory, config: config, filter: .nonExperts)
        _ = try BackboneWeights.load(router, config: config)
        #expect(router.mappedBytes < whole.mappedBytes)
        #expect(worker.mappedBytes < whole.mappedBytes / 4)
    }
}
