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

    @Test func parsesTheSamplingExtensions() throws {
        let request = try parse("""
        {"prompt":[1,2],"max_tokens":9,"n":2,"best_of":3,"echo":true,"presence_penalty":0.5,"frequency_penalty":-0.25,
         "repetition_penalty":1.3,"min_p":0.1,"min_tokens":4,"logit_bias":{"7":100,"11":-5.5},"prompt_logprobs":2,
         "stop":["a","b","c","d","e","f"],"suffix":"","use_beam_search":false,"skip_special_tokens":true}
        """)
        #expect(request.n == 2 && request.bestOf == 3 && request.echo && request.promptLogprobs == 2)
        #expect(request.extras.presencePenalty == 0.5 && request.extras.frequencyPenalty == -0.25)
        #expect(request.extras.repetitionPenalty == 1.3 && request.extras.minP == 0.1 && request.extras.minTokens == 4)
        #expect(request.extras.logitBias == [7: 100, 11: -5.5])
        #expect(request.stopStrings.count == 6)
        #expect(request.needsPromptLogprobs)
        let echoOnly = try parse(#"{"prompt":[1,2],"max_tokens":0,"echo":true,"logprobs":1}"#)
        #expect(echoOnly.maxTokens == 0 && echoOnly.needsPromptLogprobs)
        #expect(try parse(#"{"prompt":[1],"n":4}"#).bestOf == 4)
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
        (#"{"prompt":[1],"max_tokens":0}"#, "0 is allowed only with `echo`"),
        (#"{"prompt":[1],"temperature":"hot"}"#, "`temperature` must be a number"),
        (#"{"prompt":[1],"top_p":0}"#, "`top_p` must be in (0, 1]"),
        (#"{"prompt":[1],"n":0}"#, "`n` must be between 1"),
        (#"{"prompt":[1],"n":3,"best_of":2}"#, "must be at least `n`"),
        (#"{"prompt":[1],"best_of":2,"stream":true}"#, "cannot be streamed"),
        (#"{"prompt":[1],"stream":"yes"}"#, "`stream` must be a boolean"),
        (#"{"prompt":[1],"stream_options":{"include_usage":true}}"#, "only allowed when `stream` is true"),
        (#"{"prompt":[1],"logprobs":21}"#, "`logprobs` must be between 0 and 20"),
        (#"{"prompt":[1],"echo":"yes"}"#, "`echo` must be a boolean"),
        (#"{"prompt":[1],"stop":[1]}"#, "`stop` must be a string"),
        (#"{"prompt":[1],"presence_penalty":3}"#, "`presence_penalty` must be between -2"),
        (#"{"prompt":[1],"frequency_penalty":-2.5}"#, "`frequency_penalty` must be between -2"),
        (#"{"prompt":[1],"repetition_penalty":0}"#, "`repetition_penalty` must be greater than 0"),
        (#"{"prompt":[1],"min_p":1.5}"#, "`min_p` must be between 0"),
        (#"{"prompt":[1],"min_tokens":20,"max_tokens":5}"#, "must not exceed `max_tokens`"),
        (#"{"prompt":[1],"logit_bias":{"x":1}}"#, "`logit_bias` keys must be token ids"),
        (#"{"prompt":[1],"logit_bias":{"5":101}}"#, "between -100 and 100"),
        (#"{"prompt":[1],"logit_bias":[1]}"#, "`logit_bias` must be an object"),
        (#"{"prompt":[1],"prompt_logprobs":21}"#, "`prompt_logprobs` must be between 0 and 20"),
        (#"{"prompt":[1],"suffix":"end"}"#, "`suffix` is not supported"),
        (#"{"prompt":[1],"use_beam_search":true}"#, "`use_beam_search` is not supported"),
        (#"{"prompt":[1],"length_penalty":0.5}"#, "`length_penalty` is not supported"),
        (#"{"prompt":[1],"include_stop_str_in_output":true}"#, "`include_stop_str_in_output` is not supported"),
        (#"{"prompt":[1],"skip_special_tokens":false}"#, "`skip_special_tokens` is not supported"),
        (#"{"prompt":[1],"response_format":{"type":"json_object"}}"#, "`response_format` is not supported"),
        (#"{"prompt":[1],"guided_json":{}}"#, "`guided_json` is not supported"),
        (#"{"prompt":[1],"allowed_token_ids":[1,2]}"#, "`allowed_token_ids` is not supported"),
        (#"{"prompt":[1],"truncate_prompt_tokens":5}"#, "`truncate_prompt_tokens` is not supported"),
    ])
    func rejectsBadInputWith400(json: String, message: String) {
        let failure = error(json)
        #expect(failure?.status == .badRequest)
        #expect(failure?.message.contains(message) == true, "\(failure?.message ?? "no error")")
    }

    /// Issue 21 (4): error messages are sentences for people: no decoder internals, no Swift type
    /// names, no `Int.max` as a bound.
    @Test(arguments: [
        (Array(#"{"prompt":[1],"n":0}"#.utf8), "`n` must be between 1 and 128, got 0."),
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
