import Foundation
import Hummingbird
import NIOCore

/// vLLM's tokenizer endpoints: `POST /tokenize`, `POST /detokenize`, `GET /tokenizer_info`, and
/// llama.cpp's `POST /apply-template`. Clients such as lm-evaluation-harness probe them to tokenize
/// on the server instead of downloading the tokenizer.
struct TokenizerEndpoints: Sendable {
    let context: ServingContext

    /// The tokenizer, or a 400 saying the model directory has none.
    func tokenizer() throws(OpenAIError) -> any ServingTokenizer {
        guard let tokenizer = context.tokenizer else {
            throw .invalid("This model directory has no tokenizer (tokenizer.json).")
        }
        return tokenizer
    }

    /// The JSON object of a request body, and the body's bytes.
    func fields(_ request: Request) async throws -> ([String: JSONValue], [UInt8]) {
        let body = try await RequestBody.collect(request, limit: context.configuration.maxBodyBytes)
        let value: JSONValue
        do { value = try JSONDecoding.decode(body) } catch {
            throw OpenAIError.invalid("The request body is not valid JSON: \(error)")
        }
        guard case .object(let fields) = value else {
            throw OpenAIError.invalid("The request body must be a JSON object, not \(value.typeName).")
        }
        if case .string(let model)? = fields["model"], model != context.configuration.modelName {
            throw OpenAIError.modelNotFound(model)
        }
        return (fields, body)
    }

    /// `POST /tokenize`: `{"prompt", "add_special_tokens", "return_token_strs"}` or `{"messages", ...}`
    /// → `{"count", "max_model_len", "tokens", "token_strs"}`.
    func tokenize(_ request: Request) async throws -> Response {
        let (fields, body) = try await fields(request)
        let reader = FieldReader(fields: fields)
        let tokenizer = try tokenizer()
        let text: String
        let addSpecial: Bool
        if fields["messages"] != nil && fields["messages"] != .null {
            text = try renderTemplate(fields, body)
            addSpecial = try reader.bool("add_special_tokens") ?? false  // the template writes BOS itself
        } else {
            guard let prompt = try reader.string("prompt") else {
                throw OpenAIError.invalid("`prompt` (a string) or `messages` is required.", param: "prompt")
            }
            text = prompt
            addSpecial = try reader.bool("add_special_tokens") ?? true
        }
        let tokens: [Int32]
        do { tokens = try tokenizer.encode(text, addSpecialTokens: addSpecial) } catch {
            throw OpenAIError.invalid("The prompt could not be tokenized: \(error)", param: "prompt")
        }
        let strings = try reader.bool("return_token_strs") == true ? tokens.map { tokenizer.tokenName($0) } : nil
        return try JSONResponse.make(TokenizeResponse(count: tokens.count, maxModelLen: context.service.engine.config.maxPositionEmbeddings,
                                                      tokens: tokens, tokenStrs: strings))
    }

    /// `POST /detokenize`: `{"tokens": [ids]}` → `{"prompt": text}` (special tokens left out, as vLLM).
    func detokenize(_ request: Request) async throws -> Response {
        let (fields, _) = try await fields(request)
        let reader = FieldReader(fields: fields)
        let tokenizer = try tokenizer()
        guard let ids = try reader.intArray("tokens") else {
            throw OpenAIError.invalid("`tokens` (an array of token ids) is required.", param: "tokens")
        }
        let vocab = context.service.engine.config.vocabSize
        if let bad = ids.first(where: { $0 >= max(vocab, tokenizer.info.vocabSize ?? 0) }) {
            throw OpenAIError.invalid("Token id \(bad) is out of range: the vocabulary has \(vocab) tokens.", param: "tokens")
        }
        let skip = try reader.bool("skip_special_tokens") ?? true
        struct Body: Encodable { var prompt: String }
        return try JSONResponse.make(Body(prompt: tokenizer.detokenize(ids.map(Int32.init), skipSpecialTokens: skip)))
    }

    /// `GET /tokenizer_info`: the tokenizer's class, size and special tokens.
    func info() throws -> Response {
        let tokenizer = try tokenizer()
        let info = tokenizer.info
        let body = TokenizerInfoResponse(
            tokenizerClass: info.tokenizerClass, vocabSize: info.vocabSize ?? context.service.engine.config.vocabSize,
            modelMaxLength: context.service.engine.config.maxPositionEmbeddings, bosToken: info.bosToken, eosToken: info.eosToken,
            addBOSToken: info.addBOSToken, addEOSToken: info.addEOSToken, chatTemplate: context.chatTemplates?.template(hasTools: false).source)
        return try JSONResponse.make(body)
    }

    /// `POST /apply-template` (llama.cpp): `{"messages", "tools", "add_generation_prompt"}` → `{"prompt"}`.
    func applyTemplate(_ request: Request) async throws -> Response {
        let (fields, body) = try await fields(request)
        struct Body: Encodable { var prompt: String }
        return try JSONResponse.make(Body(prompt: try renderTemplate(fields, body)))
    }

    /// Renders `messages` (with `tools`, `add_generation_prompt`, `chat_template_kwargs`...) through
    /// the chat template exactly as `/v1/chat/completions` does; 400 without a template.
    func renderTemplate(_ fields: [String: JSONValue], _ body: [UInt8]) throws(OpenAIError) -> String {
        guard case .array? = fields["messages"] else {
            throw .invalid("`messages` must be an array of messages.", param: "messages")
        }
        if context.chatTemplates == nil && fields["chat_template"] == nil {
            throw .invalid("This model has no chat template, so `messages` cannot be rendered: send `prompt` text instead.",
                           param: "messages")
        }
        let chat = try ChatRequest.parse(body)
        return try ChatPromptBuilder(context: context).build(chat).text
    }
}

struct TokenizeResponse: Encodable {
    var count: Int
    var maxModelLen: Int
    var tokens: [Int32]
    var tokenStrs: [String]?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(count, forKey: .count)
        try container.encode(maxModelLen, forKey: .maxModelLen)
        try container.encode(tokens, forKey: .tokens)
        try container.encode(tokenStrs, forKey: .tokenStrs)
    }

    enum CodingKeys: String, CodingKey {
        case count, tokens
        case maxModelLen = "max_model_len"
        case tokenStrs = "token_strs"
    }
}

struct TokenizerInfoResponse: Encodable {
    var tokenizerClass: String
    var vocabSize: Int
    var modelMaxLength: Int
    var bosToken: String?
    var eosToken: String?
    var addBOSToken: Bool
    var addEOSToken: Bool
    var chatTemplate: String?

    enum CodingKeys: String, CodingKey {
        case tokenizerClass = "tokenizer_class"
        case vocabSize = "vocab_size"
        case modelMaxLength = "model_max_length"
        case bosToken = "bos_token"
        case eosToken = "eos_token"
        case addBOSToken = "add_bos_token"
        case addEOSToken = "add_eos_token"
        case chatTemplate = "chat_template"
    }
}
