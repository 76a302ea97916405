import Foundation
import SwitchyardModel
import SwitchyardTools

/// The committed fixtures of `scripts/make_upcycle_fixtures.py`: a tiny dense Llama (`dense/`,
/// with transformers' float64 outputs in `dense/expected.json`) and, per upcycled variant
/// (`copy_e4_k2`, `split_e4_k4`, `split_e4_k2`), what transformers found when it loaded the
/// checkpoint `upcycle` wrote (`NAME.json`).
enum UpcycleFixture {
    /// One prompt's reference outputs (the golden-fixture format).
    struct Prompt: Decodable {
        var tokenIDs: [Int32]
        var lastLogprobs: [Double]
        var greedyTokenIDs: [Int32]
        var greedyMargins: [Double]
        var greedyLogprobs: [Double]

        enum CodingKeys: String, CodingKey {
            case tokenIDs = "token_ids", lastLogprobs = "last_logprobs", greedyTokenIDs = "greedy_token_ids"
            case greedyMargins = "greedy_margins", greedyLogprobs = "greedy_logprobs"
        }
    }

    struct Dense: Decodable {
        var prompts: [Prompt]
    }

    /// What transformers found on one upcycled checkpoint.
    struct Verification: Decodable {
        var name: String
        var architecture: String
        var safetensorsFNV1a64: String
        var maxDiffF32: Double
        var maxDiffF64: Double
        var greedyEqualToDense: Bool
        var expertCountsPerLayer: [[Int]]
        /// transformers' float64 outputs of the upcycled model itself.
        var prompts: [Prompt]

        enum CodingKeys: String, CodingKey {
            case name, architecture, prompts
            case safetensorsFNV1a64 = "safetensors_fnv1a64"
            case maxDiffF32 = "max_abs_logprob_diff_vs_dense_f32"
            case maxDiffF64 = "max_abs_logprob_diff_vs_dense_f64"
            case greedyEqualToDense = "greedy_equal_to_dense_f32"
            case expertCountsPerLayer = "expert_counts_per_layer"
        }
    }

    /// The variants: name, mode, experts, top-k; all with seed 7.
    static let variants: [(name: String, mode: UpcycleOptions.Mode, experts: Int, topK: Int)] = [
        ("copy_e4_k2", .copy, 4, 2), ("split_e4_k4", .split, 4, 4), ("split_e4_k2", .split, 4, 2),
    ]
    static let seed: UInt64 = 7

    static var root: URL {
        get throws {
            guard let url = Bundle.module.url(forResource: "UpcycleFixtures", withExtension: nil) else {
                throw UpcycleError.invalidRequest("no UpcycleFixtures folder in the test bundle")
            }
            return url
        }
    }

    static var denseDirectory: URL { get throws { try root.appendingPathComponent("dense") } }

    static func dense() throws -> Dense {
        try JSONDecoder().decode(Dense.self, from: Data(contentsOf: denseDirectory.appendingPathComponent("expected.json")))
    }

    static func verification(_ name: String) throws -> Verification {
        try JSONDecoder().decode(Verification.self, from: Data(contentsOf: root.appendingPathComponent("\(name).json")))
    }

    /// FNV-1a 64 over the bytes of `files` in order (the script's `fnv1a64`).
    static func fnv1a64(_ files: [URL]) throws -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for file in files {
            for byte in try Data(contentsOf: file) {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            }
        }
        let text = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }

    /// The safetensors files of `directory`, sorted by name.
    static func safetensors(in directory: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".safetensors") }.sorted()
            .map { directory.appendingPathComponent($0) }
    }
}
