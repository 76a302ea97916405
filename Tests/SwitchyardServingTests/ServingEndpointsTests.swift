import Foundation
import TestSupport
import Testing
import SwitchyardModel
import SwitchyardTokenizer
@testable import SwitchyardServing

/// The endpoints clients probe besides completions: tokenizer endpoints in vLLM's shapes,
/// llama.cpp's `/apply-template`, model lookup, version, ping, `HEAD /health`, CORS and metrics.
@Suite("Endpoints clients probe", .serialized)
struct ServingEndpointsTests {
    let tokenizer = TinyModel.tokenizer

    @Test func tokenizeAndDetokenizeRoundTrip() async throws {
        let server = try await ServingHarness.start(tokenizer: tokenizer)
        let text = "Hello, world! Café"
        let expected = tokenizer.encode(text, addSpecialTokens: true).map(Int.init)
        let response = try await server.send("POST", "/tokenize", json: ["prompt": text, "return_token_strs": true])
        #expect(response.status == 200, "\(response.text)")
        let body = try response.json()
        #expect(body["tokens"] as? [Int] == expected)
        #expect(body["count"] as? Int == expected.count)
        #expect(body["max_model_len"] as? Int == server.engine.config.maxPositionEmbeddings)
        #expect((body["token_strs"] as? [String])?.count == expected.count)
        let bare = try await server.send("POST", "/tokenize", json: ["prompt": text, "add_special_tokens": false]).json()
        #expect(bare["tokens"] as? [Int] == Array(expected.dropFirst()))
        #expect(bare["token_strs"] is NSNull)

        let decoded = try await server.send("POST", "/detokenize", json: ["tokens": expected]).json()
        #expect(decoded["prompt"] as? String == text)  // BOS left out
        let bad = try await server.send("POST", "/detokenize", json: ["tokens": [99999]])
        #expect(bad.status == 400 && bad.text.contains("out of range"))
        let missing = try await server.send("POST", "/tokenize", json: ["add_special_tokens": true])
        #expect(missing.status == 400 && missing.text.contains("`prompt`"))
        let wrongModel = try await server.send("POST", "/tokenize", json: ["prompt": "x", "model": "other"])
        #expect(wrongModel.status == 404)
        await server.stop()
    }

    @Test func tokenizerInfoInVLLMShape() async throws {
        let server = try await ServingHarness.start(tokenizer: tokenizer)
        let info = try await server.get("/tokenizer_info").json()
        #expect(info["tokenizer_class"] as? String == "PreTrainedTokenizerFast")
        #expect(info["vocab_size"] as? Int == 512)
        #expect(info["bos_token"] as? String == "<s>" && info["eos_token"] as? String == "</s>")
        #expect(info["model_max_length"] as? Int == server.engine.config.maxPositionEmbeddings)
        await server.stop()
    }

    @Test func templatesAndTokenizerEndpointsAnswer400WhenAbsent() async throws {
        let withTokenizer = try await ServingHarness.start(tokenizer: tokenizer)
        let messages: [[String: Any]] = [["role": "user", "content": "hi"]]
        for path in ["/apply-template", "/tokenize"] {
            let response = try await withTokenizer.send("POST", path, json: ["messages": messages, "add_generation_prompt": true])
            #expect(response.status == 400, "\(path): \(response.text)")
            #expect(response.text.contains("no chat template"), "\(path): \(response.text)")
        }
        await withTokenizer.stop()

        let bare = try await ServingHarness.start()
        for (method, path) in [("POST", "/tokenize"), ("POST", "/detokenize"), ("GET", "/tokenizer_info")] {
            let response = try await bare.send(method, path, json: method == "POST" ? ["prompt": "x", "tokens": [1]] : nil)
            #expect(response.status == 400 && response.text.contains("no tokenizer"), "\(path): \(response.text)")
        }
        await bare.stop()
    }

    @Test func applyTemplateAndTokenizeMessagesUseTheChatTemplate() async throws {
        let source = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
        let templates = try ChatTemplateSet(source: source, bosToken: "<s>", eosToken: "</s>", origin: "test")
        let server = try await ServingHarness.start(tokenizer: tokenizer, chatTemplates: templates)
        let messages: [[String: Any]] = [["role": "user", "content": "hi"]]
        let applied = try await server.send("POST", "/apply-template", json: ["messages": messages, "add_generation_prompt": true])
        #expect(applied.status == 200, "\(applied.text)")
        let prompt = try #require(try applied.json()["prompt"] as? String)
        #expect(prompt == "<|user|>hi\n<|assistant|>")
        let tokenized = try await server.send("POST", "/tokenize", json: ["messages": messages, "add_generation_prompt": true]).json()
        #expect(tokenized["tokens"] as? [Int] == tokenizer.encode(prompt, addSpecialTokens: false).map(Int.init))
        #expect(try await server.get("/tokenizer_info").json()["chat_template"] as? String == source)
        await server.stop()
    }

    @Test func modelVersionPingAndHeadHealth() async throws {
        let server = try await ServingHarness.start()
        let model = try await server.get("/v1/models/tiny")
        #expect(model.status == 200)
        let body = try model.json()
        #expect(body["id"] as? String == "tiny" && body["object"] as? String == "model")
        #expect(body["vocab_size"] as? Int == server.engine.config.vocabSize)
        let other = try await server.get("/v1/models/other")
        #expect(other.status == 404 && other.text.contains("model_not_found"))
        let listed = try await server.get("/v1/models").json()["data"] as? [[String: Any]]
        #expect(listed?.first?["vocab_size"] as? Int == server.engine.config.vocabSize)
        #expect(try await server.get("/version").json()["version"] as? String == SwitchyardVersion.current)
        #expect(try await server.get("/ping").status == 200)
        let head = try await server.send("HEAD", "/health")
        #expect(head.status == 200 && head.body.isEmpty)
        await server.stop()
    }

    @Test func corsPreflightOnlyWithTheFlag() async throws {
        let preflight = ["Origin": "http://app.example", "Access-Control-Request-Method": "POST",
                         "Access-Control-Request-Headers": "authorization, content-type"]
        let open = try await ServingHarness.start(apiKey: "secret", corsOrigin: "*")
        let answer = try await open.send("OPTIONS", "/v1/completions", headers: preflight)
        #expect(answer.status == 204)
        #expect(answer.headers["access-control-allow-origin"] == "*")
        #expect(answer.headers["access-control-allow-methods"]?.contains("POST") == true)
        #expect(answer.headers["access-control-allow-headers"] == "authorization, content-type")
        // Ordinary answers (even errors) carry the origin too.
        let refused = try await open.send("GET", "/v1/models", headers: ["Origin": "http://app.example"])
        #expect(refused.status == 401 && refused.headers["access-control-allow-origin"] == "*")
        await open.stop()

        let closed = try await ServingHarness.start()
        let none = try await closed.send("OPTIONS", "/v1/completions", headers: preflight)
        #expect(none.status != 204 && none.headers["access-control-allow-origin"] == nil)
        await closed.stop()
    }

    @Test func metricsCarryModelNameAndPerRequestHistograms() async throws {
        let server = try await ServingHarness.start()
        _ = try await server.greedy([1, 2, 3], maxTokens: 3)
        let refused = try await server.postRaw(#"{"prompt":[1],"suffix":"x"}"#)
        #expect(refused.status == 400)
        let metrics = try await server.get("/metrics").text
        for line in ["switchyard_prompt_tokens_total{model_name=\"tiny\"} 3",
                     "switchyard_request_queue_time_seconds_count{model_name=\"tiny\"} 1",
                     "switchyard_request_prefill_time_seconds_count{model_name=\"tiny\"} 1",
                     "switchyard_request_decode_time_seconds_count{model_name=\"tiny\"} 1",
                     "switchyard_request_prompt_tokens_sum{model_name=\"tiny\"} 3",
                     "switchyard_request_generation_tokens_sum{model_name=\"tiny\"} 3",
                     "switchyard_iteration_tokens_total_count{model_name=\"tiny\"}",
                     "switchyard_request_failure_total{model_name=\"tiny\",reason=\"client_error\"} 1"] {
            #expect(metrics.contains(line), "missing \(line)")
        }
        await server.stop()
    }
}
