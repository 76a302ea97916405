import Testing
@testable import SwitchyardBench

@Suite("Prompts")
struct PromptTests {
    @Test("random prompts stay in the length range and vocabulary, and repeat with the seed")
    func randomPrompts() {
        let gen = RandomPromptGenerator(inputLength: 100, outputLength: 20, rangeRatio: 0.5, vocabSize: 50)
        var a = SeededRandom(seed: 9), b = SeededRandom(seed: 9)
        let pa = gen.make(count: 200, rng: &a)
        let pb = gen.make(count: 200, rng: &b)
        #expect(pa == pb)
        var lengths = Set<Int>()
        for p in pa {
            guard case .tokenIDs(let ids) = p.content else {
                Issue.record("expected token ids")
                return
            }
            #expect((50...150).contains(ids.count))
            #expect(ids.allSatisfy { (0..<50).contains($0) })
            #expect((10...30).contains(p.outputTokens))
            lengths.insert(ids.count)
        }
        #expect(lengths.count > 20)
    }

    @Test("range ratio 0 gives exact lengths")
    func exactLengths() {
        var rng = SeededRandom(seed: 1)
        let prompts = RandomPromptGenerator(inputLength: 32, outputLength: 8, rangeRatio: 0, vocabSize: 10).make(count: 10, rng: &rng)
        #expect(prompts.allSatisfy { $0.knownInputTokens == 32 && $0.outputTokens == 8 })
    }

    @Test("JSONL: arrays, strings and objects with output_len")
    func jsonl() throws {
        let text = "[1, 2, 3]\n\n\"hello world\"\r\n{\"prompt\": [4, 5], \"output_len\": 7}\n{\"prompt\": \"x\", \"max_tokens\": 3}\n"
        let prompts = try PromptFile.parse(text, defaultOutputTokens: 16)
        #expect(prompts == [
            BenchPrompt(content: .tokenIDs([1, 2, 3]), outputTokens: 16),
            BenchPrompt(content: .text("hello world"), outputTokens: 16),
            BenchPrompt(content: .tokenIDs([4, 5]), outputTokens: 7),
            BenchPrompt(content: .text("x"), outputTokens: 3),
        ])
    }

    @Test("JSONL errors name the line", arguments: [
        ("[1, 2]\n{broken", "line 2"), ("[1.5]", "line 1"), ("[]", "empty prompt"), ("{\"text\": 1}", "no \"prompt\""),
        ("[-1]", "non-negative"), ("{\"prompt\": [1], \"output_len\": 0}", "positive"), ("\n\n", "no prompts"),
        ("true", "line 1"),
    ])
    func jsonlErrors(text: String, fragment: String) {
        do {
            _ = try PromptFile.parse(text, defaultOutputTokens: 4)
            Issue.record("expected an error for \(text)")
        } catch let error as BenchInputError {
            #expect(error.message.contains(fragment), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
