/// What the engine rejects, with messages a user of `switchyard generate` or the HTTP API can act on.
public enum EngineError: Error, CustomStringConvertible, Equatable {
    /// A token id outside `0..<vocabSize`.
    case tokenOutOfRange(token: Int, vocabSize: Int)
    /// A prompt longer than the model's `max_position_embeddings` (or an empty prompt, `length` 0).
    case promptTooLong(length: Int, limit: Int)
    /// An empty prompt.
    case emptyPrompt
    /// Appending `adding` tokens to a cache of `length` would exceed its `capacity`.
    case cacheFull(length: Int, adding: Int, capacity: Int)
    /// Positions past `max_position_embeddings` were requested.
    case contextTooLong(positions: Int, limit: Int)
    /// An input of `forward` with no tokens.
    case emptyInput(index: Int)
    /// The same KV cache appears twice in one `forward` call.
    case duplicateCache(index: Int)
    /// A KV cache built for a different model shape.
    case cacheMismatch(String)
    /// A weight with the wrong shape (synthetic or loaded).
    case weightShape(name: String, expected: [Int], actual: [Int])
    /// A required weight is missing from the checkpoint.
    case missingWeight(String)
    /// A route names an expert id outside the layer's experts.
    case invalidRoute(layer: Int, expert: Int, experts: Int)
    /// The backend was asked for an expert it does not hold.
    case expertNotLoaded(layer: Int, expert: Int)
    /// The backend's input, output and routes disagree in shape.
    case shapeMismatch(String)
    /// `forward` was called while another `forward` on the same engine was running.
    case concurrentForward
    /// A command-line or API argument is invalid.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .tokenOutOfRange(token, vocabSize):
            "token id \(token) is outside the vocabulary (0..<\(vocabSize))"
        case let .promptTooLong(length, limit):
            "prompt of \(length) tokens is longer than the model's max_position_embeddings (\(limit))"
        case .emptyPrompt:
            "the prompt is empty: give at least one token id"
        case let .cacheFull(length, adding, capacity):
            "KV cache full: \(length) tokens cached + \(adding) new exceeds its capacity of \(capacity)"
        case let .contextTooLong(positions, limit):
            "sequence would reach \(positions) positions, past max_position_embeddings (\(limit))"
        case let .emptyInput(index):
            "input \(index) has no tokens"
        case let .duplicateCache(index):
            "input \(index) uses a KV cache that another input of the same step already uses"
        case let .cacheMismatch(detail):
            "KV cache does not fit this model: \(detail)"
        case let .weightShape(name, expected, actual):
            "weight \(name) has shape \(actual), expected \(expected)"
        case let .missingWeight(name):
            "weight \(name) is missing from the checkpoint"
        case let .invalidRoute(layer, expert, experts):
            "route to expert \(expert) of layer \(layer), which has experts 0..<\(experts)"
        case let .expertNotLoaded(layer, expert):
            "expert \(expert) of layer \(layer) is not loaded in this backend"
        case let .shapeMismatch(detail):
            "shape mismatch: \(detail)"
        case .concurrentForward:
            "Engine.forward called while another forward on the same engine is running"
        case let .invalidArgument(detail):
            detail
        }
    }
}
