import Foundation
import TestSupport
import Testing
import SwitchyardModel
import SwitchyardTensor
@testable import SwitchyardServing

/// `echo`, prompt log-probabilities, `n`/`best_of`, and every sampling parameter through the HTTP API,
/// each shown by its effect on the tiny model.
@Suite("Completions API: echo, n, best_of, penalties", .serialized)
struct CompletionsFeaturesAPITests {
    let prompt: [Int32] = [3, 14, 15, 92, 6, 7, 8, 9, 10, 11]

    func choices(_ server: ServingHarness, _ body: [String: Any]) async throws -> [[String: Any]] {
        let response = try await server.post(body)
        #expect(response.status == 200, "\(response.text)")
        return try #require(try response.json()["choices"] as? [[String: Any]])
    }

    func tokenIDs(_ server: ServingHarness, _ body: [String: Any]) async throws -> [Int] {
        var body = body
        body["return_token_ids"] = true
        return try #require(try await choices(server, body).first?["token_ids"] as? [Int])
    }

    /// Log-probability of each prompt token after the first, from separate forwards of each prefix.
    func engineLogprobs(_ engine: Engine, _ prompt: [Int32]) async throws -> [Double] {
        var result: [Double] = []
        for k in 1 ..< prompt.count {
            let cache = KVCache(config: engine.config, capacity: prompt.count)
            let logits = try await engine.forward([EngineInput(cache: cache, tokens: Array(prompt[..<k]))])
            let row = (0 ..< logits.cols).map { Double(logits[0, $0]) }
            let m = row.max()!
            let lse = m + log(row.map { exp($0 - m) }.reduce(0, +))
            result.append(row[Int(prompt[k])] - lse)
        }
        return result
    }

    @Test(arguments: [256, 3])
    func echoReturnsThePromptsLogprobsFirstOneNull(maxBatchTokens: Int) async throws {
        // With 3 tokens per step the prompt is prefilled in chunks: every boundary must still be covered.
        let server = try await ServingHarness.start(limits: SchedulerLimits(maxBatchTokens: maxBatchTokens, kvCapacityTokens: 4096))
        let choice = try #require(try await choices(server, ["prompt": prompt.map(Int.init), "echo": true, "max_tokens": 0,
                                                             "logprobs": 2, "temperature": 0]).first)
        let logprobs = try #require(choice["logprobs"] as? [String: Any])
        let values = try #require(logprobs["token_logprobs"] as? [Any])
        #expect(values.count == prompt.count)
        #expect(values.first is NSNull)
        let tops = try #require(logprobs["top_logprobs"] as? [Any])
        #expect(tops.first is NSNull && tops.count == prompt.count)
        #expect((tops.last as? [String: Double]).map { $0.count >= 2 && $0.count <= 3 } == true)
        #expect((logprobs["tokens"] as? [String]) == prompt.map { "token_id:\($0)" })
        let expected = try await engineLogprobs(server.engine, prompt)
        for (value, reference) in zip(values.dropFirst(), expected) {
            let got = try #require(value as? Double)
            #expect(abs(got - reference) < 1e-4, "\(got) vs \(reference)")
        }
        #expect(choice["finish_reason"] as? String == "length")
        await server.stop()
    }

    @Test func echoWithGeneratedTokensAppendsThem() async throws {
        let server = try await ServingHarness.start()
        let generated = try await server.greedy(prompt.map(Int.init), maxTokens: 2)
        let choice = try #require(try await choices(server, ["prompt": prompt.map(Int.init), "echo": true, "max_tokens": 2, "logprobs": 0,
                                                             "temperature": 0, "ignore_eos": true, "return_token_ids": true]).first)
        #expect(choice["token_ids"] as? [Int] == generated)
        let tokens = try #require((choice["logprobs"] as? [String: Any])?["tokens"] as? [String])
        #expect(tokens == (prompt.map(Int.init) + generated).map { "token_id:\($0)" })
        // Streamed: the prompt's entries arrive with the first chunk.
        let response = try await server.post(["prompt": prompt.map(Int.init), "echo": true, "max_tokens": 2, "logprobs": 0,
                                              "temperature": 0, "ignore_eos": true, "stream": true])
        var streamed: [String] = []
        for event in response.events.dropLast() {
            let chunk = try #require(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])
            let choice = (chunk["choices"] as? [[String: Any]])?.first
            streamed += ((choice?["logprobs"] as? [String: Any])?["tokens"] as? [String]) ?? []
        }
        #expect(streamed == tokens)
        await server.stop()
    }

    @Test func promptLogprobsInVLLMShape() async throws {
        let server = try await ServingHarness.start()
        let choice = try #require(try await choices(server, ["prompt": prompt.map(Int.init), "max_tokens": 1, "prompt_logprobs": 2]).first)
        let entries = try #require(choice["prompt_logprobs"] as? [Any])
        #expect(entries.count == prompt.count && entries.first is NSNull)
        let expected = try await engineLogprobs(server.engine, prompt)
        for (k, entry) in entries.enumerated().dropFirst() {
            let map = try #require(entry as? [String: [String: Any]])
            let own = try #require(map[String(prompt[k])])
            #expect(abs((own["logprob"] as? Double ?? 0) - expected[k - 1]) < 1e-4)
            #expect((own["rank"] as? Int ?? 0) >= 1)
            #expect(map.count >= 2 && map.count <= 3)
            #expect(map.values.contains { $0["rank"] as? Int == 1 })
        }
        #expect(choice["logprobs"] is NSNull)
        await server.stop()
    }

    @Test func nReturnsSeveralChoicesAndBestOfKeepsTheMostLikely() async throws {
        let server = try await ServingHarness.start()
        let body: [String: Any] = ["prompt": [[1, 2, 3], [4, 5]], "max_tokens": 6, "temperature": 1.5, "seed": 11,
                                   "ignore_eos": true, "logprobs": 0, "return_token_ids": true]
        var withN = body
        withN["n"] = 3
        let all = try await choices(server, withN)
        #expect(all.map { $0["index"] as? Int } == [0, 1, 2, 3, 4, 5])
        let sequences = all.map { $0["token_ids"] as? [Int] ?? [] }
        #expect(Set(sequences[0 ..< 3].map { $0.description }).count > 1, "three samples should not all agree")
        let totals = all.map { (($0["logprobs"] as? [String: Any])?["token_logprobs"] as? [Double] ?? []).reduce(0, +) }

        var best = body
        best["best_of"] = 3
        let kept = try await choices(server, best)
        #expect(kept.map { $0["index"] as? Int } == [0, 1])
        for group in 0 ..< 2 {
            let range = (group * 3) ..< (group * 3 + 3)
            let winner = range.max { totals[$0] < totals[$1] }!
            #expect(kept[group]["token_ids"] as? [Int] == sequences[winner])
        }
        await server.stop()
    }

    @Test("n and best_of compute each prompt once; the choices equal independently generated ones")
    func siblingsComputeThePromptOnce() async throws {
        // 3 tokens per step: the shared prompt is prefilled in chunks before the fork.
        for maxBatchTokens in [256, 3] {
            let server = try await ServingHarness.start(limits: SchedulerLimits(maxBatchTokens: maxBatchTokens, kvCapacityTokens: 4096))
            let registry = server.service.metrics.registry
            let body: [String: Any] = ["prompt": prompt.map(Int.init), "max_tokens": 5, "temperature": 1.2, "seed": 40,
                                       "ignore_eos": true, "logprobs": 1, "echo": true, "return_token_ids": true]
            var alone: [[String: Any]] = []
            for sample in 0 ..< 4 {
                var one = body
                one["seed"] = 40 + sample
                alone += try await choices(server, one)
            }
            let before = registry.counterValue("switchyard_prompt_tokens_total")
            var withN = body
            withN["n"] = 4
            let together = try await choices(server, withN)
            // The prompt once, then the last prompt token once per extra choice.
            #expect(registry.counterValue("switchyard_prompt_tokens_total") - before == Double(prompt.count + 3))
            #expect(together.count == 4)
            for (shared, single) in zip(together, alone) {
                #expect(shared["token_ids"] as? [Int] == single["token_ids"] as? [Int])
                let sharedLogprobs = try #require((shared["logprobs"] as? [String: Any])?["token_logprobs"] as? [Any])
                let singleLogprobs = try #require((single["logprobs"] as? [String: Any])?["token_logprobs"] as? [Any])
                #expect(sharedLogprobs.count == prompt.count + 5 && sharedLogprobs.first is NSNull)
                for (a, b) in zip(sharedLogprobs.dropFirst(), singleLogprobs.dropFirst()) {
                    #expect(abs((a as? Double ?? 0) - (b as? Double ?? 1)) < 1e-4)
                }
            }
            await server.stop()
        }
    }

    @Test func logitBiasForcesAToken() async throws {
        let server = try await ServingHarness.start()
        let forced = try await tokenIDs(server, ["prompt": [1, 2, 3], "max_tokens": 5, "temperature": 1, "seed": 2,
                                                 "ignore_eos": true, "logit_bias": ["77": 100]])
        #expect(forced == [77, 77, 77, 77, 77])
        let bad = try await server.post(["prompt": [1], "logit_bias": ["99999": 1]])
        #expect(bad.status == 400 && bad.text.contains("logit_bias"))
        await server.stop()
    }

    @Test func minTokensSuppressesTheStopToken() async throws {
        let server = try await ServingHarness.start()
        let first = try await server.greedy([1, 2, 3], maxTokens: 1)[0]
        let stopped = try await tokenIDs(server, ["prompt": [1, 2, 3], "max_tokens": 8, "temperature": 0, "stop_token_ids": [first]])
        #expect(stopped == [first])
        let held = try await tokenIDs(server, ["prompt": [1, 2, 3], "max_tokens": 8, "temperature": 0, "stop_token_ids": [first],
                                               "min_tokens": 4])
        #expect(held.count >= 4 && !held.prefix(4).contains(first))
        await server.stop()
    }

    @Test func penaltiesChangeGreedyOutputOnARepetitivePrompt() async throws {
        let server = try await ServingHarness.start()
        let base: [String: Any] = ["prompt": [5, 6, 5, 6, 5, 6, 5, 6], "max_tokens": 12, "temperature": 0, "ignore_eos": true]
        let plain = try await tokenIDs(server, base)
        #expect(Set(plain).count < plain.count, "the tiny model repeats itself greedily: \(plain)")
        for (field, value) in [("repetition_penalty", 5.0), ("presence_penalty", 2.0), ("frequency_penalty", 2.0)] {
            var body = base
            body[field] = value
            let penalised = try await tokenIDs(server, body)
            #expect(penalised != plain, "\(field) should change the greedy output")
            #expect(Set(penalised).count > Set(plain).count, "\(field) should make the output less repetitive")
        }
        // Neutral values change nothing.
        var neutral = base
        neutral["repetition_penalty"] = 1.0
        neutral["presence_penalty"] = 0
        neutral["frequency_penalty"] = 0
        #expect(try await tokenIDs(server, neutral) == plain)
        await server.stop()
    }

    @Test func minPOfOneSamplesOnlyTheMostLikelyToken() async throws {
        let server = try await ServingHarness.start()
        let greedy = try await server.greedy([7, 8, 9], maxTokens: 8)
        let base: [String: Any] = ["prompt": [7, 8, 9], "max_tokens": 8, "temperature": 5, "seed": 4, "ignore_eos": true]
        let hot = try await tokenIDs(server, base)
        #expect(hot != greedy)
        var cut = base
        cut["min_p"] = 1.0
        #expect(try await tokenIDs(server, cut) == greedy)
        await server.stop()
    }

    @Test(arguments: [
        (#"{"prompt":[1],"suffix":"tail"}"#, "suffix"),
        (#"{"prompt":[1],"use_beam_search":true}"#, "use_beam_search"),
        (#"{"prompt":[1],"response_format":{"type":"json_object"}}"#, "response_format"),
        (#"{"prompt":[1],"guided_regex":"a+"}"#, "guided_regex"),
        (#"{"prompt":[1],"include_stop_str_in_output":true}"#, "include_stop_str_in_output"),
    ])
    func unsupportedFieldsAnswer400NamingThem(json: String, field: String) async throws {
        let server = try await ServingHarness.start()
        let response = try await server.postRaw(json)
        #expect(response.status == 400)
        let error = try #require(try response.json()["error"] as? [String: Any])
        #expect(error["param"] as? String == field)
        #expect((error["message"] as? String)?.contains(field) == true)
        await server.stop()
    }
}
