import SwitchyardTokenizer
import Foundation
import Logging
import SwitchyardModel

/// Loads the tokenizer of a model directory for the serving commands.
enum ModelTokenizer {
    /// The tokenizer in `directory`, nil when it has no `tokenizer.json` (the API then takes token
    /// ids only). A tokenizer file that cannot be read is an error: serving without it would
    /// silently turn text prompts into 400s.
    static func load(_ directory: URL, modelVocabSize: Int, logger: Logger) throws -> Tokenizer? {
        guard Tokenizer.exists(in: directory) else {
            logger.info("no tokenizer.json in the model directory: prompts must be token ids")
            return nil
        }
        let tokenizer = try Tokenizer.load(directory: directory)
        if tokenizer.vocabSize > modelVocabSize {
            logger.warning("the tokenizer has \(tokenizer.vocabSize) ids but the model only \(modelVocabSize); prompts with larger ids are refused")
        }
        logger.info("tokenizer loaded", metadata: ["vocab": "\(tokenizer.vocabSize)"])
        return tokenizer
    }
}
