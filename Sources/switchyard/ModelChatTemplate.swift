import Foundation
import Logging
import SwitchyardTokenizer

/// Loads the chat template(s) a serving command answers `/v1/chat/completions` with.
enum ModelChatTemplate {
    /// `--chat-template FILE` when given, else the model directory's (`chat_template.jinja`,
    /// `tokenizer_config.json`), else `embedded` / `embeddedNamed` (the seam for a GGUF's
    /// `tokenizer.chat_template` and `tokenizer.chat_template.NAME`).
    /// `bos_token` / `eos_token` the config does not name come from the tokenizer's BOS/EOS ids.
    /// Nil when there is none: chat requests then answer 400.
    static func load(_ directory: URL?, file: String?, name: String?, embedded: String? = nil, embeddedNamed: [String: String] = [:],
                     tokenizer: Tokenizer?,
                     logger: Logger) throws -> ChatTemplateSet? {
        guard var templates = try ChatTemplateSet.load(directory: directory, overrideFile: file, embedded: embedded,
                                                             embeddedNamed: embeddedNamed, name: name) else {
            logger.info("no chat template: /v1/chat/completions answers 400 (give one with --chat-template FILE)")
            return nil
        }
        if templates.bosToken == nil, let id = tokenizer?.bosTokenID { templates.bosToken = tokenizer?.token(of: id) }
        if templates.eosToken == nil, let id = tokenizer?.eosTokenID { templates.eosToken = tokenizer?.token(of: id) }
        if tokenizer == nil { logger.warning("a chat template but no tokenizer: chat requests answer 400") }
        logger.info("chat template loaded", metadata: ["from": "\(templates.origin)", "names": "\(templates.templates.keys.sorted().joined(separator: ","))"])
        return templates
    }
}
