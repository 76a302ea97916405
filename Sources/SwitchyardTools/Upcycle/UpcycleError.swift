/// Why `upcycle` refused its input; every message names what to change.
public enum UpcycleError: Error, Equatable, CustomStringConvertible {
    /// The input is not a dense Llama-style model (already MoE, another architecture, biases).
    case unsupportedModel(path: String, reason: String)
    /// The flags do not fit the model (split that does not divide, top-k above experts, ...).
    case invalidRequest(String)
    /// A tensor the dense model must have is missing or has the wrong shape.
    case badTensor(name: String, reason: String)

    public var description: String {
        switch self {
        case let .unsupportedModel(path, reason): "\(path): cannot upcycle: \(reason)"
        case let .invalidRequest(reason): reason
        case let .badTensor(name, reason): "tensor \(name): \(reason)"
        }
    }
}
