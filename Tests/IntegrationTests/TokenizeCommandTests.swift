import Foundation
import Testing
import TestSupport

/// `switchyard tokenize`, `generate --prompt` and `init-model`'s tokenizer, run as the built binary.
@Suite("tokenize and text generation as processes", .serialized)
struct TokenizeCommandTests {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-tokenize-tests-\(getpid())-\(UUID().uuidString.prefix(6))")

    /// Runs the binary to completion (bounded); returns its exit status and output.
    func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let process = try Daemon(arguments, log: work.appendingPathComponent("\(UUID().uuidString).log"))
        let status = try await process.wait(timeout: .seconds(60))
        return (status, process.output)
    }

    func json(_ output: String) throws -> [String: Any] {
        let line = try #require(output.split(separator: "\n").last { $0.hasPrefix("{") }, "no JSON in \(output)")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func encodeDecodeAndGenerateText() async throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let model = work.appendingPathComponent("model").path
        let made = try await run(["init-model", "--preset", "tiny", "--seed", "3", "--out", model])
        #expect(made.status == 0, "\(made.output)")
        #expect(made.output.contains("tokenizer"))

        let text = "Hello, world! Café 日本 👍"
        let encoded = try await run(["tokenize", "--model", model, "--json", text])
        #expect(encoded.status == 0, "\(encoded.output)")
        let ids = try #require(try json(encoded.output)["ids"] as? [Int])
        #expect(!ids.isEmpty && ids.allSatisfy { (3..<512).contains($0) })
        let special = try #require(try json(try await run(["tokenize", "--model", model, "--json", "--add-special-tokens", text]).output)["ids"] as? [Int])
        #expect(special == [1] + ids)  // BOS from tokenizer_config.json

        let decoded = try await run(["tokenize", "--model", model, "--json", "--decode", ids.map(String.init).joined(separator: ",")])
        #expect(decoded.status == 0, "\(decoded.output)")
        #expect(try json(decoded.output)["text"] as? String == text)
        let plain = try await run(["tokenize", "--model", model, "--decode", ids.map(String.init).joined(separator: ",")])
        #expect(plain.output.trimmingCharacters(in: .newlines) == text)
        // Special tokens are left out by default, as `tokenizers` decodes; --keep-special keeps them.
        let withBOS = special.map(String.init).joined(separator: ",")
        let skipped = try await run(["tokenize", "--model", model, "--json", "--decode", withBOS])
        #expect(try json(skipped.output)["text"] as? String == text)
        let kept = try await run(["tokenize", "--model", model, "--json", "--keep-special", "--decode", withBOS])
        let keptText = try #require(try json(kept.output)["text"] as? String)
        #expect(keptText.hasSuffix(text) && keptText.count > text.count, "\(keptText)")

        let generated = try await run(["generate", "--model", model, "--prompt", text, "--max-tokens", "4", "--json", "--threads", "1"])
        #expect(generated.status == 0, "\(generated.output)")
        let result = try json(generated.output)
        #expect(result["prompt_token_ids"] as? [Int] == special)
        #expect(result["text"] is String)
        #expect((result["token_ids"] as? [Int])?.count == 4)
    }

    @Test func badInputGivesAMessageAndANonZeroExit() async throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let empty = work.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let missing = try await run(["tokenize", "--model", empty.path, "--json", "hi"])
        #expect(missing.status != 0 && missing.output.contains("tokenizer.json"), "\(missing.output)")

        let model = work.appendingPathComponent("model").path
        #expect(try await run(["init-model", "--preset", "tiny", "--out", model]).status == 0)
        for (ids, message) in [("1,x", "'x' is not a token id"), ("5,99999", "outside the vocabulary"), ("", "empty")] {
            let bad = try await run(["tokenize", "--model", model, "--decode", ids])
            #expect(bad.status != 0 && bad.output.contains(message), "--decode \(ids): \(bad.output)")
        }
        let both = try await run(["generate", "--model", model, "--prompt", "hi", "--prompt-ids", "1,2"])
        #expect(both.status != 0 && both.output.contains("exactly one of"), "\(both.output)")
        let noTokenizer = work.appendingPathComponent("ids-only").path
        #expect(try await run(["init-model", "--preset", "tiny", "--no-tokenizer", "--out", noTokenizer]).status == 0)
        let text = try await run(["generate", "--model", noTokenizer, "--prompt", "hi"])
        #expect(text.status != 0 && text.output.contains("tokenizer.json"), "\(text.output)")
        // --tokenizer-only adds one to an existing checkpoint, once.
        #expect(try await run(["init-model", "--tokenizer-only", "--out", noTokenizer]).status == 0)
        #expect(try await run(["generate", "--model", noTokenizer, "--prompt", "hi", "--max-tokens", "1", "--threads", "1"]).status == 0)
        let again = try await run(["init-model", "--tokenizer-only", "--out", noTokenizer])
        #expect(again.status != 0 && again.output.contains("already has a tokenizer.json"), "\(again.output)")
    }
}
