import Foundation
import TestSupport
import Testing
import SwitchyardModel
@testable import SwitchyardServing

/// Text prompts, stop strings and text output through the HTTP API with a real tokenizer.
@Suite("Completions API with a tokenizer", .serialized)
struct TextAPITests {
    let tokenizer = TinyModel.tokenizer

    func choice(_ response: TestHTTPClient.Response) throws -> [String: Any] {
        #expect(response.status == 200, "\(response.text)")
        return try #require((try response.json()["choices"] as? [[String: Any]])?.first)
    }

    @Test func textPromptIsEncodedWithBOSAndTheOutputDecoded() async throws {
        let server = try await ServingHarness.start(tokenizer: tokenizer)
        let prompt = "Hello, world! The router reads the request."
        let expectedPrompt = tokenizer.encode(prompt, addSpecialTokens: true).map(Int.init)
        #expect(expectedPrompt.first == 1 && expectedPrompt.count < prompt.utf8.count / 2)  // BOS, then merged words
        for body: Any in [prompt, [prompt]] {
            let response = try await server.post(["prompt": body, "max_tokens": 8, "temperature": 0, "ignore_eos": true,
                                                  "return_token_ids": true, "logprobs": 1])
            let choice = try choice(response)
            #expect(choice["prompt_token_ids"] as? [Int] == expectedPrompt)
            let ids = try #require(choice["token_ids"] as? [Int]).map(Int32.init)
            #expect(choice["text"] as? String == tokenizer.decodeKnown(ids, skipSpecialTokens: true))
            let names = try #require((choice["logprobs"] as? [String: Any])?["tokens"] as? [String])
            #expect(names == ids.map { tokenizer.tokenName($0) })
            #expect(!names.contains { $0.hasPrefix("token_id:") })
            #expect((try response.json()["usage"] as? [String: Int])?["prompt_tokens"] == expectedPrompt.count)
        }
        // Without special tokens, as vLLM's `add_special_tokens: false`.
        let bare = try choice(try await server.post(["prompt": prompt, "max_tokens": 1, "add_special_tokens": false, "return_token_ids": true]))
        #expect(bare["prompt_token_ids"] as? [Int] == Array(expectedPrompt.dropFirst()))
        await server.stop()
    }

    @Test func stopStringEndsTheChoiceAndIsLeftOut() async throws {
        let server = try await ServingHarness.start(tokenizer: tokenizer)
        let request: [String: Any] = ["prompt": "Once upon a time", "max_tokens": 24, "temperature": 0, "ignore_eos": true]
        let full = try #require(try choice(try await server.post(request))["text"] as? String)
        let scalars = Array(full.unicodeScalars)
        try #require(scalars.count >= 6, "the tiny model produced too little text: \(full.debugDescription)")
        let stopScalars = Array(scalars[(scalars.count / 2)..<(scalars.count / 2 + 2)])
        let stop = String(String.UnicodeScalarView(stopScalars))
        // The text before the stop string's first occurrence, compared by scalars as the server does.
        let first = try #require((0...(scalars.count - 2)).first { Array(scalars[$0..<($0 + 2)]) == stopScalars })
        let expected = String(String.UnicodeScalarView(scalars[..<first]))
        var stopped = request
        stopped["stop"] = ["never-in-this-text", stop]
        let choice = try choice(try await server.post(stopped))
        #expect(choice["text"] as? String == expected)
        #expect(choice["finish_reason"] as? String == "stop")

        // Streamed: the same text in deltas, the stop string never sent.
        stopped["stream"] = true
        let (text, finish) = try streamedText(try await server.post(stopped))
        #expect(text == expected && finish == "stop")
        await server.stop()
    }

    @Test func streamedTextEqualsNonStreamed() async throws {
        let server = try await ServingHarness.start(tokenizer: tokenizer)
        let request: [String: Any] = ["prompt": "Good morning. Where are you going?", "max_tokens": 16, "temperature": 0, "ignore_eos": true]
        let full = try #require(try choice(try await server.post(request))["text"] as? String)
        var streamed = request
        streamed["stream"] = true
        let (text, finish) = try streamedText(try await server.post(streamed))
        #expect(text == full && finish == "length")
        await server.stop()
    }

    @Test func textPromptWithoutATokenizerIs400() async throws {
        let server = try await ServingHarness.start()
        let response = try await server.post(["prompt": "hello", "max_tokens": 2])
        #expect(response.status == 400)
        let error = try #require(try response.json()["error"] as? [String: Any])
        #expect((error["message"] as? String)?.contains("no tokenizer") == true && error["param"] as? String == "prompt")
        await server.stop()
    }

    /// The concatenated text deltas and the last finish reason of an SSE response.
    func streamedText(_ response: TestHTTPClient.Response) throws -> (String, String?) {
        #expect(response.status == 200, "\(response.text)")
        var text = ""
        var finish: String?
        for event in response.events.dropLast() {
            let chunk = try #require(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])
            for choice in chunk["choices"] as? [[String: Any]] ?? [] {
                text += choice["text"] as? String ?? ""
                if let reason = choice["finish_reason"] as? String { finish = reason }
            }
        }
        return (text, finish)
    }
}

@Suite("TextAccumulator with a real tokenizer")
struct RealTokenizerTextTests {
    @Test func deltasNeverSplitACharacter() {
        let tokenizer = TinyModel.tokenizer
        let text = "Café 日本語 👍🏽 naïve — done"
        let ids = tokenizer.encode(text)
        #expect(ids.count > text.unicodeScalars.count / 2)
        var accumulator = TextAccumulator(tokenizer: tokenizer, stopStrings: [])
        var out = ""
        for (index, id) in ids.enumerated() {
            let delta = accumulator.append(id, final: index == ids.count - 1)
            #expect(!delta.contains("\u{FFFD}"), "token \(index) split a character")
            out += delta
        }
        #expect(out == text)
    }
}
