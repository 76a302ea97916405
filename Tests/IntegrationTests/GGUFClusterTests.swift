import Foundation
import Testing
import SwitchyardModel
import SwitchyardTensor

/// GGUF models through router + workers: each worker maps only its experts' rows of the stacked
/// tensors, and the cluster decodes what the single-process engine on the same file decodes.
@Suite("GGUF through the cluster", .serialized)
struct GGUFClusterTests {
    static let root = GoldenCheckpoints.root.deletingLastPathComponent().appendingPathComponent("GGUFFixtures")

    @Test(arguments: ["mixtral_basic.gguf", "mixtral_basic_q8_0.gguf", "llama_untied_bias.gguf", "deepseek_v2_lite.gguf",
                      "deepseek_v3_qlora.gguf", "glm4_moe_groups.gguf", "gpt_oss_mxfp4.gguf"])
    func sameGreedyTokensAndLogprobs(file: String) async throws {
        BLAS.setThreads(1)
        let path = Self.root.appendingPathComponent(file)
        let local = try Engine.load(directory: path)
        let prompts: [[Int32]] = [[1, 2, 3, 4, 5], [7], (0 ..< 17).map { ($0 * 13 + 5) % 256 }]
        let expected = try await greedyBatch(local, prompts: prompts, steps: 6)
        for (name, pins) in clusterLayouts.prefix(2) {
            let cluster = try await InProcessCluster(directory: path, pins: pins)
            defer { cluster.stop() }
            let got = try await greedyBatch(cluster.engine, prompts: prompts, steps: 6)
            for row in prompts.indices {
                #expect(got[row].tokens == expected[row].tokens, "\(file), \(name), prompt \(row)")
                for (a, b) in zip(got[row].logprobs, expected[row].logprobs) {
                    #expect(abs(a - b) < 1e-4, "\(file), \(name): logprob \(a) vs \(b)")
                }
            }
        }
    }
}
