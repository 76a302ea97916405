import Foundation
import SwitchyardModel
import SwitchyardTensor

/// One golden fixture written by `scripts/make_golden.py`: a small random checkpoint built and run
/// by transformers (float64), and what transformers computed on it (`expected.json`).
///
/// Use `GoldenFixture.all()` to iterate, `directory` as the model directory to load, and compare
/// each prompt's `lastLogprobs` (within `logprobTolerance`) and greedy tokens (where the reference
/// margin is at least `marginThreshold`). Format: see Fixtures/README.md.
struct GoldenFixture: Decodable, Sendable, CustomStringConvertible {
    /// One prompt and the reference outputs for it.
    struct Prompt: Decodable, Sendable {
        /// The prompt token ids.
        var tokenIDs: [Int32]
        /// log-softmax of the logits at the prompt's last position (`vocab_size` values, natural log).
        var lastLogprobs: [Double]
        /// The 12-token greedy continuation transformers generated.
        var greedyTokenIDs: [Int32]
        /// For each greedy step, top-1 minus top-2 raw logit: where it is tiny, argmax is rounding-sensitive.
        var greedyMargins: [Double]
        /// For each greedy step, the log-probability of the chosen token.
        var greedyLogprobs: [Double]

        enum CodingKeys: String, CodingKey {
            case tokenIDs = "token_ids"
            case lastLogprobs = "last_logprobs"
            case greedyTokenIDs = "greedy_token_ids"
            case greedyMargins = "greedy_margins"
            case greedyLogprobs = "greedy_logprobs"
        }
    }

    /// Fixture name (its directory name).
    var name: String
    /// `model_type` of the checkpoint.
    var family: String
    /// Storage dtype of the checkpoint's tensors ("F32", "BF16").
    var dtype: String
    /// What the fixture exercises (tied embeddings, sharding, sliding window, ...).
    var features: [String]
    var vocabSize: Int
    var prompts: [Prompt]
    /// The reference's versions, for the record.
    var transformersVersion: String
    var torchVersion: String
    /// The model directory (config.json, safetensors, expected.json); set by the loader.
    var directory: URL = URL(fileURLWithPath: "/")

    /// Absolute log-probability tolerance the issue sets.
    static let logprobTolerance = 1e-3
    /// Greedy tokens must match wherever the reference margin is at least this.
    static let marginThreshold = 1e-3
    /// The tolerance where bf16 weights meet activations rounded to bf16 (`vdpbf16ps`, the avx512
    /// path's default, as llama.cpp computes bf16): up to 0.044 was measured on these fixtures.
    /// `make test` runs the golden suites again with `SWITCHYARD_BF16_DOT=0`, at `logprobTolerance`.
    static let bf16ActivationTolerance = 0.06

    /// Whether this machine's products round this fixture's activations to bf16.
    var roundsActivationsToBF16: Bool { KernelPath.bf16DotProduct && dtype.uppercased() == "BF16" }
    /// This fixture's log-probability tolerance on this machine's kernel path.
    var tolerance: Double { roundsActivationsToBF16 ? Self.bf16ActivationTolerance : Self.logprobTolerance }
    /// Greedy tokens are compared where the reference margin is at least this (a margin within the
    /// rounding error may flip).
    var margin: Double { roundsActivationsToBF16 ? 4 * tolerance : Self.marginThreshold }

    enum CodingKeys: String, CodingKey {
        case name, family, dtype, features, prompts
        case vocabSize = "vocab_size"
        case transformersVersion = "transformers_version"
        case torchVersion = "torch_version"
    }

    var description: String { name }

    /// The weight formats whose products are the ones transformers computed: as stored, except MXFP4
    /// experts, which the engine keeps 4-bit (its kernel quantizes activations per block of 32)
    /// while transformers expands them to bf16: loading them as bf16 holds the same values exactly.
    var referenceDTypes: WeightDTypes {
        features.contains("mxfp4") || name.contains("mxfp4") ? WeightDTypes(experts: .format(.bf16), dense: .auto) : .auto
    }

    /// The Fixtures folder in the test bundle.
    static var fixturesDirectory: URL {
        get throws {
            guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
                throw GoldenFixtureError("no Fixtures folder in the SwitchyardModelTests bundle")
            }
            return url
        }
    }

    /// Names of every fixture (directories holding expected.json), sorted.
    static func names() throws -> [String] {
        let root = try fixturesDirectory
        let entries = try FileManager.default.contentsOfDirectory(atPath: root.path)
        return entries.filter {
            FileManager.default.fileExists(atPath: root.appendingPathComponent($0).appendingPathComponent("expected.json").path)
        }.sorted()
    }

    /// Loads one fixture by name.
    static func load(_ name: String) throws -> GoldenFixture {
        let directory = try fixturesDirectory.appendingPathComponent(name)
        let data = try Data(contentsOf: directory.appendingPathComponent("expected.json"))
        var fixture = try JSONDecoder().decode(GoldenFixture.self, from: data)
        fixture.directory = directory
        for (index, prompt) in fixture.prompts.enumerated() {
            guard prompt.lastLogprobs.count == fixture.vocabSize,
                  prompt.greedyTokenIDs.count == prompt.greedyMargins.count,
                  prompt.greedyTokenIDs.count == prompt.greedyLogprobs.count else {
                throw GoldenFixtureError("\(name): prompt \(index) has inconsistent lengths")
            }
        }
        return fixture
    }

    /// Every fixture.
    static func all() throws -> [GoldenFixture] {
        try names().map(load)
    }
}

struct GoldenFixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
