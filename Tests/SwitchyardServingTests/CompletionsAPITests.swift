import Foundation
import TestSupport
import Testing
import SwitchyardModel
@testable import SwitchyardServing

@Suite("OpenAI completions API", .serialized)
struct CompletionsAPITests {
    @Test func healthModelsAndMetricsEndpoints() async throws {
        let server = try await ServingHarness.start()
        let health = try await server.get("/health")
        #expect(health.status == 200)
        let models = try await server.get("/v1/models")
        #expect(models.status == 200)
        let data = try models.json()["data"] as? [[String: Any]]
        #expect(data?.first?["id"] as? String == "tiny")
        _ = try await server.greedy([1, 2, 3], maxTokens: 3)
        let metrics = try await server.get("/metrics")
        #expect(metrics.status == 200)
        for name in ["switchyard_num_requests_running", "switchyard_num_requests_waiting", "switchyard_time_to_first_token_seconds_bucket",
                     "switchyard_inter_token_latency_seconds_count", "switchyard_e2e_request_latency_seconds_sum",
                     "switchyard_prompt_tokens_total{model_name=\"tiny\"} 3", "switchyard_generation_tokens_total{model_name=\"tiny\"} 3", "switchyard_kv_cache_usage_perc",
                     "switchyard_expert_tokens_total{model_name=\"tiny\",layer=\"0\""] {
            #expect(metrics.text.contains(name), "missing \(name)")
        }
        // The engine's FFN calls: at least one layer in each of the 3 steps, and time spent in them.
        func value(_ name: String) -> Double? {
            metrics.text.split(separator: "\n").first { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
                .flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        #expect((value("switchyard_ffn_calls_total") ?? 0) >= 3, "\(metrics.text)")
        #expect((value("switchyard_ffn_seconds_total") ?? 0) > 0, "\(metrics.text)")
        await server.stop()
    }

    @Test func nonStreamedCompletionMatchesTheEngineAlone() async throws {
        let server = try await ServingHarness.start()
        let prompt: [Int32] = [3, 14, 15, 92, 6]
        let response = try await server.post(["model": "tiny", "prompt": prompt.map(Int.init), "max_tokens": 6, "temperature": 0,
                                              "ignore_eos": true, "logprobs": 3, "return_token_ids": true])
        #expect(response.status == 200, "\(response.text)")
        let body = try response.json()
        #expect(body["object"] as? String == "text_completion")
        #expect((body["id"] as? String)?.hasPrefix("cmpl-") == true)
        let choice = try #require((body["choices"] as? [[String: Any]])?.first)
        let ids = try #require(choice["token_ids"] as? [Int])
        #expect(choice["prompt_token_ids"] as? [Int] == prompt.map(Int.init))
        #expect(choice["finish_reason"] as? String == "length")
        let usage = try #require(body["usage"] as? [String: Int])
        #expect(usage == ["prompt_tokens": 5, "completion_tokens": 6, "total_tokens": 11])
        let logprobs = try #require(choice["logprobs"] as? [String: Any])
        let tokenLogprobs = try #require(logprobs["token_logprobs"] as? [Double])
        #expect(tokenLogprobs.count == 6 && tokenLogprobs.allSatisfy { $0 <= 0 })
        #expect((logprobs["top_logprobs"] as? [[String: Double]])?.allSatisfy { $0.count == 3 } == true)
        #expect((logprobs["tokens"] as? [String])?.first == "token_id:\(ids[0])")

        // The same greedy continuation computed by the engine directly.
        let cache = KVCache(config: server.engine.config, capacity: 32)
        var tokens = prompt
        var expected: [Int] = []
        for _ in 0 ..< 6 {
            let fed = expected.isEmpty ? tokens : [tokens.last!]
            let logits = try await server.engine.forward([EngineInput(cache: cache, tokens: fed)])
            var best = 0
            for index in 0 ..< logits.cols where logits[0, index] > logits[0, best] { best = index }
            expected.append(best)
            tokens.append(Int32(best))
        }
        #expect(ids == expected)
        await server.stop()
    }

    @Test func streamedCompletionEqualsNonStreamed() async throws {
        let server = try await ServingHarness.start()
        let expected = try await server.greedy([5, 6, 7], maxTokens: 5)
        let response = try await server.post(["prompt": [5, 6, 7], "max_tokens": 5, "temperature": 0, "ignore_eos": true, "stream": true,
                                              "stream_options": ["include_usage": true], "return_token_ids": true])
        #expect(response.status == 200)
        #expect(response.headers["content-type"]?.hasPrefix("text/event-stream") == true)
        let events = response.events
        #expect(events.last == "[DONE]")
        var ids: [Int] = []
        var finish: String?
        var usage: [String: Int]?
        for event in events.dropLast() {
            let chunk = try #require(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])
            if let value = chunk["usage"] as? [String: Int] { usage = value }
            for choice in chunk["choices"] as? [[String: Any]] ?? [] {
                ids += choice["token_ids"] as? [Int] ?? []
                if let reason = choice["finish_reason"] as? String { finish = reason }
            }
        }
        #expect(ids == expected)
        #expect(finish == "length")
        #expect(usage?["completion_tokens"] == 5 && usage?["prompt_tokens"] == 3)
        await server.stop()
    }

    @Test func batchedPromptsGiveOneChoiceEach() async throws {
        let server = try await ServingHarness.start()
        let first = try await server.greedy([1, 2], maxTokens: 3)
        let second = try await server.greedy([9], maxTokens: 3)
        let response = try await server.post(["prompt": [[1, 2], [9]], "max_tokens": 3, "temperature": 0, "ignore_eos": true, "return_token_ids": true])
        let choices = try #require(try response.json()["choices"] as? [[String: Any]])
        #expect(choices.map { $0["index"] as? Int } == [0, 1])
        #expect(choices[0]["token_ids"] as? [Int] == first)
        #expect(choices[1]["token_ids"] as? [Int] == second)
        await server.stop()
    }

    @Test func stopTokenIDsEndTheSequence() async throws {
        let server = try await ServingHarness.start()
        let free = try await server.greedy([4, 4, 4], maxTokens: 8)
        let stopAt = try #require(free.firstIndex { $0 != free[0] } ?? free.indices.last)
        let response = try await server.post(["prompt": [4, 4, 4], "max_tokens": 8, "temperature": 0, "ignore_eos": true,
                                              "stop_token_ids": [free[stopAt]], "return_token_ids": true])
        let choice = try #require((try response.json()["choices"] as? [[String: Any]])?.first)
        #expect(choice["finish_reason"] as? String == "stop")
        #expect(choice["token_ids"] as? [Int] == Array(free[...stopAt]))
        await server.stop()
    }

    @Test func seededSamplingIsReproducible() async throws {
        let server = try await ServingHarness.start()
        func sample() async throws -> [Int] {
            let response = try await server.post(["prompt": [8, 9], "max_tokens": 8, "temperature": 1.0, "top_k": 20, "top_p": 0.9,
                                                  "seed": 1234, "ignore_eos": true, "return_token_ids": true])
            return try #require((try response.json()["choices"] as? [[String: Any]])?.first?["token_ids"] as? [Int])
        }
        let first = try await sample()
        let second = try await sample()
        #expect(first == second)
        await server.stop()
    }

    @Test func concurrentRequestsMatchEachAlone() async throws {
        let server = try await ServingHarness.start()
        let prompts: [[Int]] = (0 ..< 16).map { n in (0 ... n % 7).map { ($0 * 31 + n * 17) % 200 + 1 } }
        var alone: [[Int]] = []
        for (n, prompt) in prompts.enumerated() { alone.append(try await server.greedy(prompt, maxTokens: 4 + n % 5)) }
        let together = try await withThrowingTaskGroup(of: (Int, [Int]).self) { group in
            for (n, prompt) in prompts.enumerated() {
                group.addTask { (n, try await server.greedy(prompt, maxTokens: 4 + n % 5)) }
            }
            var results = [[Int]](repeating: [], count: prompts.count)
            for try await (n, ids) in group { results[n] = ids }
            return results
        }
        #expect(together == alone)
        await server.stop()
    }

    @Test func errorsComeInOpenAIShapeWithTheRightStatus() async throws {
        let server = try await ServingHarness.start()
        let vocab = server.engine.config.vocabSize
        let maxContext = server.engine.config.maxPositionEmbeddings
        let cases: [(String, Int, String)] = [
            ("{not json", 400, "not valid JSON"),
            (#"{"prompt": "hello"}"#, 400, "no tokenizer"),
            (#"{"prompt": [1], "stop": "x"}"#, 400, "need a tokenizer"),
            (#"{"prompt": []}"#, 400, "must not be empty"),
            (#"{"prompt": [1], "max_tokens": "many"}"#, 400, "must be an integer"),
            ("{\"prompt\": [\(vocab)]}", 400, "out of range"),
            (#"{"prompt": [1], "model": "gpt-9"}"#, 404, "does not exist"),
            ("{\"prompt\": \(Array(repeating: 1, count: maxContext))}", 413, "maximum context length"),
            ("{\"prompt\": [1, 2], \"max_tokens\": \(maxContext)}", 400, "maximum context length"),
        ]
        for (body, status, message) in cases {
            let response = try await server.postRaw(body)
            #expect(response.status == status, "\(body): \(response.status) \(response.text)")
            let error = try response.json()["error"] as? [String: Any]
            #expect((error?["message"] as? String)?.contains(message) == true, "\(body): \(response.text)")
            #expect(error?["type"] is String)
        }
        let missing = try await server.get("/v2/nothing")
        #expect(missing.status == 404)
        #expect(((try missing.json()["error"] as? [String: Any])?["message"] as? String)?.contains("Unknown route") == true)
        await server.stop()
    }

    @Test func fullQueueAnswers429AndDrainingAnswers503() async throws {
        let server = try await ServingHarness.start(limits: SchedulerLimits(maxBatchTokens: 8, maxRunningSequences: 1, kvCapacityTokens: 4096, maxWaiting: 1), socket: true)
        let client = try server.socketClient()
        // A long stream holds the only running slot.
        let long = try client.open("POST", "/v1/completions", json: #"{"prompt":[1,2],"max_tokens":2000,"ignore_eos":true,"stream":true}"#)
        _ = try await offPool { try long.read(until: "data: ") }
        try await server.waitUntil("one running") { server.service.runningCount == 1 }
        // The next waits; the one after that finds the queue full.
        let waiting = Task { try await server.post(["prompt": [3], "max_tokens": 2]) }
        try await server.waitUntil("one waiting") { server.service.waitingCount == 1 }
        let refused = try await server.post(["prompt": [3], "max_tokens": 2])
        #expect(refused.status == 429, "\(refused.text)")

        // Draining (what SIGTERM starts) refuses new work while in-flight work goes on.
        server.service.beginDraining()
        let draining = try await server.post(["prompt": [3], "max_tokens": 2])
        #expect(draining.status == 503, "\(draining.text)")
        #expect(try await server.get("/health").status == 503)
        long.close()
        #expect(try await waiting.value.status == 200)
        await server.stop()
    }

    @Test func clientDisconnectCancelsAndFreesTheCache() async throws {
        let server = try await ServingHarness.start(socket: true)
        let connection = try server.socketClient().open("POST", "/v1/completions", json: #"{"prompt":[1,2,3],"max_tokens":400,"ignore_eos":true,"stream":true}"#)
        _ = try await offPool { try connection.read(until: "data: ") }
        #expect(server.service.runningCount == 1)
        connection.close()
        try await server.waitUntil("the cancelled sequence to be freed") { server.service.runningCount == 0 }
        await server.stop()
    }

    @Test func clientDisconnectCancelsANonStreamedRequest() async throws {
        // Nothing is written to a non-streamed client until the end: the server must notice the
        // closed connection itself, or the sequence would run all 2000 tokens for nobody.
        let server = try await ServingHarness.start(socket: true)
        let connection = try server.socketClient().open("POST", "/v1/completions", json: #"{"prompt":[1,2,3],"max_tokens":2000,"ignore_eos":true}"#)
        try await server.waitUntil("the sequence to run") { server.service.runningCount == 1 }
        connection.close()
        try await server.waitUntil("the abandoned sequence to be freed") { server.service.runningCount == 0 }
        #expect(server.service.metrics.registry.render().contains(#"switchyard_request_failure_total{model_name="tiny",reason="cancelled"} 1"#))
        // The server goes on serving.
        #expect(try await server.post(["prompt": [1], "max_tokens": 2]).status == 200)
        await server.stop()
    }

    @Test func apiKeyIsEnforcedOnTheAPIButNotOnHealth() async throws {
        let server = try await ServingHarness.start(apiKey: "sekret")
        let denied = try await server.post(["prompt": [1], "max_tokens": 1])
        #expect(denied.status == 401)
        #expect(((try denied.json()["error"] as? [String: Any])?["code"] as? String) == "invalid_api_key")
        let wrong = try await server.post(["prompt": [1], "max_tokens": 1], headers: ["Authorization": "Bearer nope"])
        #expect(wrong.status == 401)
        let allowed = try await server.post(["prompt": [1], "max_tokens": 1], headers: ["Authorization": "Bearer sekret"])
        #expect(allowed.status == 200)
        #expect(try await server.get("/health").status == 200)
        #expect(try await server.get("/metrics").status == 200)
        await server.stop()
    }
}
