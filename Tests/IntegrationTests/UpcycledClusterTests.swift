import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `switchyard upcycle --mode copy` of the tiny dense Llama fixture (Tests/SwitchyardToolsTests/
/// UpcycleFixtures, scripts/make_upcycle_fixtures.py) served by `switchyard up --workers 2`: the
/// cluster's greedy tokens and log-probs are transformers' on the dense model (float64, 1e-4), and
/// `/metrics` shows the tokens spread over the experts as transformers routed them.
@Suite("Upcycled model through router + 2 workers", .serialized)
struct UpcycledClusterTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SwitchyardToolsTests/UpcycleFixtures")

    /// One prompt of the dense model's `expected.json` (transformers, float64).
    struct Prompt: Decodable {
        var token_ids: [Int]
        var last_logprobs: [Double]
        var greedy_token_ids: [Int]
        var greedy_margins: [Double]
        var greedy_logprobs: [Double]
    }

    struct Dense: Decodable { var prompts: [Prompt] }

    /// What transformers found on the copy-upcycled checkpoint: per layer, how many of the prompts'
    /// tokens picked each expert.
    struct Verified: Decodable { var expert_counts_per_layer: [[Int]] }

    let work = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-upcycled-cluster-\(getpid())-\(UUID().uuidString.prefix(6))")

    @Test func copyUpcycledModelEqualsTheDenseOneAndSpreadsTokensOverExperts() async throws {
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let dense = try JSONDecoder().decode(Dense.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("dense/expected.json")))
        let verified = try JSONDecoder().decode(Verified.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("copy_e4_k2.json")))
        let experts = 4
        let topK = 2

        // The fixture's copy variant (4 experts, top-2, seed 7), written by the command line.
        let moe = work.appendingPathComponent("moe")
        let upcycle = try Daemon(["upcycle", "--model", Self.fixtures.appendingPathComponent("dense").path, "--out", moe.path,
                                  "--experts", String(experts), "--top-k", String(topK), "--mode", "copy", "--seed", "7"],
                                 log: work.appendingPathComponent("upcycle.log"))
        #expect(try await upcycle.wait(timeout: .seconds(60)) == 0, "\(upcycle.output)")

        let port = Binary.freePort()
        let up = try Daemon(["up", "--model", moe.path, "--workers", "2", "--port", String(port), "--zmq-port", String(Binary.freePort())],
                            log: work.appendingPathComponent("up.log"))
        // SIGTERM also when a check throws: `up` stops its router and workers.
        defer { up.signal(SIGTERM) }
        let client = TestHTTPClient(port: port)
        let process = ProcessTests()
        try await process.waitHealthy(client, timeout: .seconds(60))
        try await process.waitForWorkers(client, ["worker-1", "worker-2"])

        // The prompts alone (one token each): the gate routed exactly the tokens transformers routed.
        for (index, prompt) in dense.prompts.enumerated() {
            let first = try await complete(client, prompt.token_ids, maxTokens: 1)
            #expect(first.tokens == [prompt.greedy_token_ids[0]] || prompt.greedy_margins[0] < 1e-3, "prompt \(index): \(first.tokens)")
            // Its 20 best next tokens: the dense model's log-probs after the prompt.
            #expect(first.top[0].count == 20)
            for (token, logprob) in first.top[0] {
                let id = try #require(Int(token.dropFirst("token_id:".count)), "token \(token)")
                #expect(abs(logprob - prompt.last_logprobs[id]) < 1e-4, "prompt \(index), token \(id): \(logprob) vs dense \(prompt.last_logprobs[id])")
            }
        }
        let promptCounts = try await expertCounts(client, layers: verified.expert_counts_per_layer.count, experts: experts)
        #expect(promptCounts == verified.expert_counts_per_layer, "per-layer expert counts \(promptCounts) vs transformers' \(verified.expert_counts_per_layer)")
        for (layer, counts) in promptCounts.enumerated() {
            #expect(counts.filter { $0 > 0 }.count == experts, "layer \(layer): every expert (on both workers) got tokens: \(counts)")
        }

        // Greedy decoding follows transformers' tokens (up to the first near-tie) with its log-probs.
        var tokensComputed = dense.prompts.map(\.token_ids.count).reduce(0, +)
        for (index, prompt) in dense.prompts.enumerated() {
            let steps = prompt.greedy_token_ids.count
            let result = try await complete(client, prompt.token_ids, maxTokens: steps)
            let sure = prompt.greedy_margins.firstIndex { $0 < 1e-3 } ?? steps
            #expect(Array(result.tokens.prefix(sure)) == Array(prompt.greedy_token_ids.prefix(sure)), "prompt \(index): \(result.tokens)")
            for step in 0..<min(sure, result.logprobs.count) {
                #expect(abs(result.logprobs[step] - prompt.greedy_logprobs[step]) < 1e-4,
                        "prompt \(index) step \(step): \(result.logprobs[step]) vs dense \(prompt.greedy_logprobs[step])")
            }
            tokensComputed += prompt.token_ids.count + steps - 1
        }
        // Every token computed picked top-k experts in every layer.
        for (layer, counts) in try await expertCounts(client, layers: promptCounts.count, experts: experts).enumerated() {
            #expect(counts.reduce(0, +) == tokensComputed * topK, "layer \(layer): \(counts) for \(tokensComputed) tokens")
        }
        // The link's cost next to the workers' compute: every layer of every step was one answered
        // layer call, and two workers computing a call's parts at once report at most twice its wall time.
        let metrics = try await offPool { try client.get("/metrics") }.text
        let calls = try #require(metric("switchyard_layer_calls_total", in: metrics), "\(metrics)")
        let callSeconds = try #require(metric("switchyard_layer_call_seconds_total", in: metrics), "\(metrics)")
        let computeSeconds = try #require(metric("switchyard_worker_compute_seconds_total", in: metrics), "\(metrics)")
        #expect(calls >= Double(promptCounts.count * dense.prompts.count * 2), "\(calls) layer calls")
        #expect(callSeconds > 0 && computeSeconds > 0 && computeSeconds <= 2 * callSeconds, "calls \(callSeconds) s, compute \(computeSeconds) s")
        // Each call's slowest worker: at least half the compute of both (two workers per call), at
        // most the call's wall time; the engine's FFN time holds every layer call and their packing.
        let slowest = try #require(metric("switchyard_layer_call_slowest_compute_seconds_total", in: metrics), "\(metrics)")
        #expect(slowest >= computeSeconds / 2 - 1e-3 && slowest <= callSeconds, "slowest \(slowest) s, compute \(computeSeconds) s, calls \(callSeconds) s")
        let ffnCalls = try #require(metric("switchyard_ffn_calls_total", in: metrics), "\(metrics)")
        let ffnSeconds = try #require(metric("switchyard_ffn_seconds_total", in: metrics), "\(metrics)")
        #expect(ffnCalls == calls && ffnSeconds >= callSeconds, "FFN calls \(ffnCalls) for \(calls) layer calls, \(ffnSeconds) s for \(callSeconds) s")
        up.signal(SIGTERM)
        #expect(try await up.wait(timeout: .seconds(60)) == 0, "\(up.output)")
    }

    /// A greedy completion of `prompt` (token ids): its tokens, their log-probs and the 20 best per step.
    func complete(_ client: TestHTTPClient, _ prompt: [Int], maxTokens: Int) async throws
        -> (tokens: [Int], logprobs: [Double], top: [[String: Double]]) {
        let body = "{\"prompt\": \(prompt), \"max_tokens\": \(maxTokens), \"temperature\": 0, \"ignore_eos\": true, \"logprobs\": 20, \"return_token_ids\": true}"
        let response = try await offPool { try client.post("/v1/completions", json: body) }
        #expect(response.status == 200, "\(response.text)")
        let choice = try #require((try response.json()["choices"] as? [[String: Any]])?.first, "\(response.text)")
        let logprobs = try #require(choice["logprobs"] as? [String: Any], "\(choice)")
        return (try #require(choice["token_ids"] as? [Int], "\(choice)"), try #require(logprobs["token_logprobs"] as? [Double], "\(logprobs)"),
                try #require(logprobs["top_logprobs"] as? [[String: Double]], "\(logprobs)"))
    }

    /// The value of the unlabelled (or model-labelled) series `name` in a `/metrics` text.
    func metric(_ name: String, in metrics: String) -> Double? {
        metrics.split(separator: "\n").first { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
            .flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    /// `switchyard_expert_tokens_total` from `/metrics` as counts per layer and expert.
    func expertCounts(_ client: TestHTTPClient, layers: Int, experts: Int) async throws -> [[Int]] {
        let metrics = try await offPool { try client.get("/metrics") }.text
        var counts = [[Int]](repeating: [Int](repeating: 0, count: experts), count: layers)
        for line in metrics.split(separator: "\n") where line.hasPrefix("switchyard_expert_tokens_total{") {
            func label(_ name: String) -> Int? {
                guard let start = line.range(of: "\(name)=\"") else { return nil }
                return Int(line[start.upperBound...].prefix { $0 != "\"" })
            }
            let layer = try #require(label("layer"), "\(line)")
            let expert = try #require(label("expert"), "\(line)")
            counts[layer][expert] = Int(try #require(Double(line.split(separator: " ").last ?? ""), "\(line)"))
        }
        return counts
    }
}
