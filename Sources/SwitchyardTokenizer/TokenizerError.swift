import SwitchyardModel
/// Why a tokenizer could not be loaded or used.
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// `tokenizer.json` is absent from the model directory.
    case missingFile(path: String)
    /// The file is not the Hugging Face `tokenizers` JSON layout Switchyard reads.
    case invalidFile(path: String, reason: String)
    /// A model, pre-tokenizer, normalizer or decoder type Switchyard does not implement.
    case unsupported(path: String, what: String)
    /// An id outside the vocabulary.
    case unknownID(Int32, vocabSize: Int)

    public var description: String {
        switch self {
        case let .missingFile(path): "missing tokenizer file \(path)"
        case let .invalidFile(path, reason): "\(path): invalid tokenizer: \(reason)"
        case let .unsupported(path, what): "\(path): unsupported tokenizer feature: \(what)"
        case let .unknownID(id, vocabSize): "token id \(id) is outside the vocabulary (0..<\(vocabSize))"
        }
    }
}
