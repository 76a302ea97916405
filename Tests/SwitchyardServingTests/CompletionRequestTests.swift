import Testing
@testable import SwitchyardServing

@Suite("CompletionRequest parsing")
struct CompletionRequestTests {
    func parse(_ json: String) throws(OpenAIError) -> CompletionRequest {
        try CompletionRequest.parse(Array(json.utf8))
    }

    func error(_ json: String) -> OpenAIError? {
        do { _ = try parse(json); return nil } catch { return error }
    }

    @Test func parsesTheFieldsClientsSend() throws {
        let request = try parse("""
        {"model":"m","prompt":[1,2,3],"max_tokens":7,"temperature":0,"top_p":0.5,"top_k":4,"seed":9,
         "stream":true,"stream_options":{"include_usage":true},"logprobs":2,"return_token_ids":true,
         "ignore_eos":true,"stop_token_ids":[5],"unknown_field":{"x":1},"user":"u"}
        """)
        #expect(request.model == "m")
        #expect(request.prompt == .tokens([[1, 2, 3]]))
        #expect(request.maxTokens == 7 && request.temperature == 0 && request.topP == 0.5 && request.topK == 4)
        #expect(request.seed == 9 && request.stream && request.includeUsageInStream)
        #expect(request.logprobs == 2 && request.returnTokenIDs && request.ignoreEOS && request.stopTokenIDs == [5])
    }

    @Test func defaultsFollowOpenAI() throws {
        let request = try parse(#"{"prompt":[1]}"#)
        #expect(request.maxTokens == 16 && request.temperature == 1 && request.topP == 1 && request.topK == 0)
        #expect(!request.stream && request.logprobs == nil && request.seed == nil)
    }

    @Test func acceptsBatchesAndText() throws {
        #expect(try parse(#"{"prompt":[[1,2],[3]]}"#).prompt == .tokens([[1, 2], [3]]))
        #expect(try parse(#"{"prompt":"hi"}"#).prompt == .text(["hi"]))
        #expect(try parse(#"{"prompt":["a","b"]}"#).prompt == .text(["a", "b"]))
        #expect(try parse(#"{"prompt":[1],"stop":"x"}"#).stopStrings == ["x"])
    }

    @Test(arguments: [
        ("not json", "not valid JSON"),
        ("[1,2]", "must be a JSON object"),
        (#"{"max_tokens":3}"#, "`prompt` is required"),
        (#"{"prompt":[]}"#, "must not be empty"),
        (#"{"prompt":[[]]}"#, "must not be empty"),
        (#"{"prompt":[1,"a"]}"#, "`prompt` must be"),
        (#"{"prompt":[-1]}"#, "out of range"),
        (#"{"prompt":[1.5]}"#, "`prompt` must be"),
        (#"{"prompt":7}"#, "must be a string or an array"),
        (#"{"prompt":[1],"max_tokens":"5"}"#, "`max_tokens` must be an integer, not string"),
        (#"{"prompt":[1],"max_tokens":0}"#, "`max_tokens` must be between 1"),
        (#"{"prompt":[1],"temperature":"hot"}"#, "`temperature` must be a number"),
        (#"{"prompt":[1],"top_p":0}"#, "`top_p` must be in (0, 1]"),
        (#"{"prompt":[1],"n":2}"#, "Only `n` = 1"),
        (#"{"prompt":[1],"stream":"yes"}"#, "`stream` must be a boolean"),
        (#"{"prompt":[1],"stream_options":{"include_usage":true}}"#, "only allowed when `stream` is true"),
        (#"{"prompt":[1],"logprobs":21}"#, "`logprobs` must be between 0 and 20"),
        (#"{"prompt":[1],"echo":true}"#, "`echo` is not supported"),
        (#"{"prompt":[1],"stop":[1]}"#, "`stop` must be a string"),
        (#"{"prompt":[1],"presence_penalty":1}"#, "not supported"),
    ])
    func rejectsBadInputWith400(json: String, message: String) {
        let failure = error(json)
        #expect(failure?.status == .badRequest)
        #expect(failure?.message.contains(message) == true, "\(failure?.message ?? "no error")")
    }

    /// Issue 21 (4): error messages are sentences for people: no decoder internals, no Swift type
    /// names, no `Int.max` as a bound.
    @Test(arguments: [
        (Array(#"{"prompt":[1],"n":0}"#.utf8), "`n` must be at least 1, got 0."),
        (Array(#"{"prompt":"\ud800"}"#.utf8), "lone UTF-16 surrogate"),
        (Array(#"{"prompt":[1],"temperature":1e400}"#.utf8), "number too large"),
        (Array(#"{"prompt":"x"}"#.utf8).map { $0 == UInt8(ascii: "x") ? 0xFF : $0 }, "not valid UTF-8"),
        (Array(#"{"prompt":[1]"#.utf8), "not valid JSON"),
    ])
    func errorMessagesAreHuman(body: [UInt8], message: String) {
        var failure: OpenAIError?
        do { _ = try CompletionRequest.parse(body) } catch { failure = error }
        let text = failure?.message ?? "no error"
        #expect(failure?.status == .badRequest)
        #expect(text.contains(message), "\(text)")
        for leak in ["DecodingError", "Dictionary", "typeMismatch", "dataCorrupted", "Swift.", "9223372036854775807", "CodingKeys"] {
            #expect(!text.contains(leak), "\(text)")
        }
    }
}

@Suite("TextAccumulator")
struct TextAccumulatorTests {
    /// Token n decodes to the n-th character of a fixed alphabet; 99 is half a UTF-8 character.
    struct LetterTokenizer: ServingTokenizer {
        func encode(_ text: String, addSpecialTokens: Bool) throws -> [Int32] { text.unicodeScalars.map { Int32($0.value) - 97 } }
        func tokenName(_ token: Int32) -> String { text(of: [token]) }
        func text(of tokens: ArraySlice<Int32>) -> String {
            var text = ""
            for (index, token) in zip(tokens.indices, tokens) {
                if token == 99 { text += index == tokens.endIndex - 1 ? "\u{FFFD}" : "é" } else {
                    text.unicodeScalars.append(Unicode.Scalar(UInt32(97 + token))!)
                }
            }
            return text
        }
    }

    @Test func holdsBackPossibleStopPrefixesAndCutsAtTheStop() {
        var text = TextAccumulator(tokenizer: LetterTokenizer(), stopStrings: ["cd"])
        #expect(text.append(0, final: false) == "a")
        #expect(text.append(1, final: false) == "b")
        #expect(text.append(2, final: false) == "")  // "c" may start "cd"
        #expect(text.append(3, final: false) == "")  // "cd" found: cut
        #expect(text.stopped && text.emitted == "ab")
    }

    @Test func releasesHeldTextWhenTheStopDoesNotFollow() {
        var text = TextAccumulator(tokenizer: LetterTokenizer(), stopStrings: ["cd"])
        #expect(text.append(2, final: false) == "")
        #expect(text.append(4, final: false) == "ce")
        #expect(text.append(2, final: true) == "c")
    }

    @Test func findsAStopStringSpanningTokensAndKeepsTheTextBefore() {
        var text = TextAccumulator(tokenizer: LetterTokenizer(), stopStrings: ["xyz", "bcd"])
        var out = ""
        for (index, token) in [0, 1, 2, 4, 1, 2, 3, 0].enumerated() {  // a b c e b c d a
            out += text.append(Int32(token), final: index == 7)
            if text.stopped { break }
        }
        #expect(text.stopped && out == "abce" && text.emitted == "abce")
    }

    @Test func neverEmitsHalfACharacter() {
        var text = TextAccumulator(tokenizer: LetterTokenizer(), stopStrings: [])
        #expect(text.append(0, final: false) == "a")
        #expect(text.append(99, final: false) == "")
        #expect(text.append(1, final: false) == "éb")
    }
}
