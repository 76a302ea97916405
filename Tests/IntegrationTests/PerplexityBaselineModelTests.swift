import Foundation
import Testing
import TestSupport

/// `switchyard perplexity --baseline-model`: the upcycled model against the dense one it came from.
@Suite("perplexity against another checkpoint", .serialized)
struct PerplexityBaselineModelTests {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-perplexity-baseline-\(getpid())-\(UUID().uuidString.prefix(6))")

    func run(_ arguments: [String], _ name: String) async throws -> Daemon {
        let daemon = try Daemon(arguments, log: work.appendingPathComponent("\(name).log"))
        _ = try await daemon.wait(timeout: .seconds(120))
        return daemon
    }

    @Test func copyUpcycledModelHasTheDenseModelsPredictionsAndAnotherTokenizerIsRefused() async throws {
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let dense = work.appendingPathComponent("dense")
        let moe = work.appendingPathComponent("moe")
        let initModel = try await run(["init-model", "--family", "llama", "--preset", "tiny", "--seed", "5", "--fit-vocabulary", "--out", dense.path], "init")
        #expect(initModel.process.terminationStatus == 0, "\(initModel.output)")
        let upcycle = try await run(["upcycle", "--model", dense.path, "--out", moe.path, "--experts", "4", "--top-k", "2",
                                     "--mode", "copy", "--seed", "1"], "upcycle")
        #expect(upcycle.process.terminationStatus == 0, "\(upcycle.output)")
        let text = work.appendingPathComponent("text.txt")
        try Data(String(repeating: "The router sends each worker the rows it needs and waits for the answers to come back in order. ", count: 8).utf8)
            .write(to: text)

        let perplexity = try await run(["perplexity", "--model", moe.path, "--text", text.path, "--baseline-model", dense.path,
                                        "--context", "32", "--threads", "1", "--json"], "perplexity")
        #expect(perplexity.process.terminationStatus == 0, "\(perplexity.output)")
        let line = try #require(perplexity.output.split(separator: "\n").last { $0.hasPrefix("{") }, "\(perplexity.output)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let ours = try #require(result["perplexity"] as? Double)
        let theirs = try #require(result["baseline_perplexity"] as? Double)
        #expect(try #require(result["tokens"] as? Int) >= 16)
        #expect(abs(ours - theirs) / theirs < 1e-5, "upcycled \(ours) vs dense \(theirs)")
        #expect(try #require(result["mean_kl"] as? Double) < 1e-6, "\(line)")
        #expect(result["top1_agreement"] as? Double == 1, "\(line)")
        #expect(result["baseline"] as? String == dense.path, "\(line)")

        // A baseline whose tokenizer splits the text otherwise (its merges cut short) is refused.
        let other = work.appendingPathComponent("other")
        try FileManager.default.copyItem(at: dense, to: other)
        let tokenizerURL = other.appendingPathComponent("tokenizer.json")
        var tokenizer = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: tokenizerURL)) as? [String: Any])
        var model = try #require(tokenizer["model"] as? [String: Any])
        model["merges"] = Array(try #require(model["merges"] as? [Any]).prefix(10))
        tokenizer["model"] = model
        try JSONSerialization.data(withJSONObject: tokenizer).write(to: tokenizerURL)
        let refused = try await run(["perplexity", "--model", moe.path, "--text", text.path, "--baseline-model", other.path,
                                     "--context", "32", "--threads", "1"], "refused")
        #expect(refused.process.terminationStatus == 1, "\(refused.output)")
        #expect(refused.output.contains("encodes the text differently"), "\(refused.output)")
    }
}
