import Foundation
import SwitchyardTokenizer

/// A conversation rendered and tokenized for the engine.
struct ChatPrompt {
    var text: String
    var tokens: [Int32]
    /// Whether the template writes `<think>` (the answer is split into reasoning and content).
    var splitsReasoning: Bool
    /// The tokenizer that decodes the answer (keeping the markers its parsers need).
    var outputTokenizer: any ServingTokenizer
}

/// Renders a chat request with its template and encodes the result.
struct ChatPromptBuilder {
    let context: ServingContext

    func build(_ chat: ChatRequest) throws(OpenAIError) -> ChatPrompt {
        guard let tokenizer = context.tokenizer else {
            throw .invalid("This model has no tokenizer (tokenizer.json), so it cannot chat: use /v1/completions with token ids.", param: "messages")
        }
        let template = try self.template(chat)
        var text: String
        do {
            text = try template.render(messages: chat.messages, tools: chat.tools, addGenerationPrompt: chat.addGenerationPrompt,
                                       bosToken: context.chatTemplates?.bosToken, eosToken: context.chatTemplates?.eosToken,
                                       extra: chat.templateVariables)
        } catch let error as TemplateError {
            throw .invalid("The chat template could not render these messages: \(error.message)", param: "messages")
        } catch {
            throw .invalid("The chat template could not render these messages: \(error)", param: "messages")
        }
        if chat.continueFinalMessage { text = Self.cutAfterFinalMessage(text, messages: chat.messages) }
        let tokens: [Int32]
        do {
            tokens = try tokenizer.encode(text, addSpecialTokens: chat.addSpecialTokens)
        } catch {
            throw .invalid("The rendered prompt could not be tokenized: \(error)", param: "messages")
        }
        let splitsReasoning = template.source.contains(ChatReasoningSplitter.open)
        var markers = chat.parsesToolCalls ? ChatToolCallParser.keptTokens : []
        if splitsReasoning { markers += [ChatReasoningSplitter.open, ChatReasoningSplitter.close] }
        let output = MarkerKeepingTokenizer.wrapping(tokenizer, markers: markers) ?? tokenizer
        return ChatPrompt(text: text, tokens: tokens, splitsReasoning: splitsReasoning, outputTokenizer: output)
    }

    /// The request's own template, else the model's (its `tool_use` one when there are tools).
    func template(_ chat: ChatRequest) throws(OpenAIError) -> ChatTemplate {
        if let source = chat.chatTemplate {
            do { return try ChatTemplate(source: source) } catch {
                throw .invalid("`chat_template` is not a valid template: \(error)", param: "chat_template")
            }
        }
        guard let templates = context.chatTemplates else {
            throw .invalid("This model has no chat template (no chat_template in tokenizer_config.json, no chat_template.jinja): start the server with --chat-template FILE, send `chat_template`, or use /v1/completions.", param: "messages")
        }
        return templates.template(hasTools: !(chat.tools ?? []).isEmpty)
    }

    /// vLLM's `continue_final_message`: the prompt ends where the last message's text ends, so
    /// the answer continues it rather than starting a new turn.
    static func cutAfterFinalMessage(_ text: String, messages: [TemplateValue]) -> String {
        guard case .string(let last)? = messages.last?["content"], !last.isEmpty,
              let range = text.range(of: last, options: .backwards) else { return text }
        return String(text[..<range.upperBound])
    }
}
