import Foundation
import Testing
import SwitchyardTensor
@testable import SwitchyardModel

/// The golden fixtures run with compact weight formats (`--dtype`): f32 gives the f32 path's
/// logits bit for bit, bf16 and q8_0 stay within the documented tolerances of transformers'
/// float64 reference, and a format a tensor cannot use fails naming the tensor.
@Suite("Golden outputs with compact weight formats")
struct WeightFormatGoldenTests {
    init() { BLAS.setThreads(1) }

    /// Largest |Δ log-probability| over the whole vocabulary (tail tokens included) of the last
    /// prompt position against the reference, per format (README, "Weight formats"): bf16 rounds
    /// each weight to 8 significant bits (measured worst 0.077), and on the avx512 path each
    /// product's activations too, as `vdpbf16ps` multiplies bf16 by bf16 (measured worst 0.14);
    /// q8_0 rounds weights to 8-bit blocks of 32 and also the activations of each product
    /// (measured worst 0.35).
    static func tolerance(_ dtypes: WeightDTypes) -> Double {
        switch dtypes.experts {
        case .format(.q8_0): 0.5
        case .format(.bf16): KernelPath.bf16DotProduct ? 0.2 : 0.12
        default: GoldenFixture.logprobTolerance
        }
    }

    /// Fixtures whose every product has whole 32-value blocks (hidden 32, intermediate sizes 32/64).
    static let blockFixtures = ["mixtral_basic", "olmoe_clip", "qwen3_moe_tied"]

    /// Largest |Δ logprob| of the last prompt position over the fixture's prompts.
    static func worstDeviation(_ fixture: GoldenFixture, _ engine: Engine) async throws -> Double {
        var worst = 0.0
        for prompt in fixture.prompts {
            let cache = KVCache(config: engine.config, capacity: prompt.tokenIDs.count)
            let logits = try await engine.forward([EngineInput(cache: cache, tokens: prompt.tokenIDs)])
            var ours = [Float](repeating: 0, count: fixture.vocabSize)
            LogSoftmax.compute(UnsafeBufferPointer(start: logits.row(0), count: logits.cols), into: &ours)
            for (a, b) in zip(ours, prompt.lastLogprobs) { worst = max(worst, abs(Double(a) - b)) }
        }
        return worst
    }

    @Test("--dtype f32 gives the same logits as the default load of an f32 checkpoint, bit for bit",
          arguments: ["mixtral_basic", "qwen2_moe_sharded", "qwen3_moe_tied"])
    func f32Unchanged(name: String) async throws {
        let fixture = try GoldenFixture.load(name)
        let auto = try Engine.load(directory: fixture.directory)
        let f32 = try Engine.load(directory: fixture.directory, dtypes: WeightDTypes(experts: .format(.f32)))
        for prompt in fixture.prompts {
            let a = try await auto.forward([EngineInput(cache: KVCache(config: auto.config, capacity: 64), tokens: prompt.tokenIDs)]).toArray()
            let b = try await f32.forward([EngineInput(cache: KVCache(config: f32.config, capacity: 64), tokens: prompt.tokenIDs)]).toArray()
            #expect(a == b)
        }
    }

    @Test("bf16 weights stay within the bf16 tolerance of the reference on every fixture", arguments: GoldenTests.fixtureNames)
    func bf16(name: String) async throws {
        let fixture = try GoldenFixture.load(name)
        let dtypes = WeightDTypes(experts: .format(.bf16))
        let engine = try Engine.load(directory: fixture.directory, dtypes: dtypes)
        #expect(engine.weights.layers[0].qkv.format == .bf16)
        let worst = try await Self.worstDeviation(fixture, engine)
        #expect(worst < Self.tolerance(dtypes), "\(name): max |Δ logprob| \(worst)")
    }

    @Test("q8_0 weights (experts and dense) stay within the q8_0 tolerance of the reference", arguments: blockFixtures)
    func q8(name: String) async throws {
        let fixture = try GoldenFixture.load(name)
        let dtypes = WeightDTypes(experts: .format(.q8_0))
        let engine = try Engine.load(directory: fixture.directory, dtypes: dtypes)
        #expect(engine.weights.head.format == .q8_0)
        let worst = try await Self.worstDeviation(fixture, engine)
        #expect(worst < Self.tolerance(dtypes), "\(name): max |Δ logprob| \(worst)")
    }

    @Test("q8_0 and q4_0 logits are the same on every SIMD kernel path, within rounding on the portable one, and whatever the batch (batch invariance)",
          arguments: [WeightFormat.q8_0, .q4_0])
    func pathsAndBatchInvariance(format: WeightFormat) async {
        // In a child process: forcing the process-wide kernel path here would change the bf16
        // products of the suites running alongside.
        await #expect(processExitsWith: .success) { [format] in
            let fixture = try GoldenFixture.load("mixtral_basic")
            let engine = try Engine.load(directory: fixture.directory, dtypes: WeightDTypes(experts: .format(format)))
            let prompts = fixture.prompts.map(\.tokenIDs)
            func alone(_ prompt: [Int32]) async throws -> [Float] {
                try await engine.forward([EngineInput(cache: KVCache(config: engine.config, capacity: 64), tokens: prompt)]).toArray()
            }
            var reference: [[Float]] = []
            for prompt in prompts { reference.append(try await alone(prompt)) }
            let caches = prompts.map { _ in KVCache(config: engine.config, capacity: 64) }
            let together = try await engine.forward(zip(caches, prompts).map { EngineInput(cache: $0, tokens: $1) })
            for (row, expected) in reference.enumerated() {
                #expect(Array(UnsafeBufferPointer(start: together.row(row), count: together.cols)) == expected, "prompt \(row) batched")
            }
            let previous = KernelPath.active
            defer { KernelPath.force(previous) }
            // The block kernels give the same bits on every path, and so do the f32 kernels (packed
            // products, attention, softmax, SwiGLU) on avx2 and avx512; their portable loops add in
            // the same order without fused multiply-adds and use libm's exp, so with them forced
            // the logits move by rounding only.
            for path in KernelPath.available {
                KernelPath.force(path)
                for (prompt, expected) in zip(prompts, reference) {
                    let logits = try await alone(prompt)
                    if path == .portable {
                        let worst = zip(logits, expected).map { abs($0 - $1) }.max() ?? 0
                        #expect(worst < 1e-3, "portable path: max |Δ logit| \(worst)")
                    } else {
                        #expect(logits == expected, "\(path.name) path")
                    }
                }
            }
        }
    }

    @Test("experts loaded as q8_0 hold exactly their blocks' bytes (34 per 32 weights)")
    func expertBytes() throws {
        let fixture = try GoldenFixture.load("mixtral_basic")
        let config = try ModelConfig.load(directory: fixture.directory)
        let checkpoint = try Checkpoint(directory: fixture.directory, config: config, dtypes: WeightDTypes(experts: .format(.q8_0)))
        let backend = try LocalExpertBackend(checkpoint: checkpoint, config: config)
        let weights = config.numLayers * config.numExperts * 3 * config.hiddenSize * config.intermediateSize
        #expect(backend.byteCount == weights / 32 * 34)
    }

    @Test("a bf16 checkpoint loaded with auto keeps its weights in bf16 (half the bytes of f32)")
    func autoKeepsBF16() throws {
        let fixture = try GoldenFixture.load("mixtral_bf16_sliding")
        let engine = try Engine.load(directory: fixture.directory)
        let f32 = try Engine.load(directory: fixture.directory, dtypes: WeightDTypes(experts: .format(.f32)))
        #expect(engine.weights.layers[0].qkv.format == .bf16)
        let experts = try #require(engine.experts as? LocalExpertBackend)
        let f32Experts = try #require(f32.experts as? LocalExpertBackend)
        #expect(experts.byteCount * 2 == f32Experts.byteCount)
    }

    @Test("a format whose blocks do not divide a tensor's rows fails naming the tensor")
    func unfitFormat() throws {
        let fixture = try GoldenFixture.load("mixtral_bf16_sliding")  // hidden 48: not whole blocks of 32
        #expect {
            _ = try Engine.load(directory: fixture.directory, dtypes: WeightDTypes(experts: .format(.q4_0)))
        } throws: { error in
            guard case let ModelError.formatDoesNotFit(tensor, format, _) = error else { return false }
            return format == "q4_0" && tensor.contains("model.layers.0")
        }
    }

    @Test("--dtype values parse; anything else is a clear error listing the formats")
    func parsing() throws {
        #expect(try WeightDType(parsing: "auto") == .auto)
        #expect(try WeightDType(parsing: "Q4_K") == .format(.q4_K))
        #expect(try WeightDType(parsing: "bf16") == .format(.bf16))
        let dense = try WeightDTypes(dtype: "q8_0", denseDType: "bf16")
        #expect(dense.experts == .format(.q8_0) && dense.dense == .format(.bf16))
        #expect(try WeightDTypes(dtype: "q4_0", denseDType: nil).dense == .format(.q4_0))
        #expect(throws: WeightDTypeError(option: "--dtype", value: "int3")) { try WeightDType(parsing: "int3") }
        #expect(WeightDTypeError(option: "--dtype", value: "int3").description.contains("q8_0"))
    }
}
