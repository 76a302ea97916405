/// Why ``RowPacker`` cannot pack a routing decision.
public enum RowPackingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An input buffer has `actual` elements where `expected` were needed; `what` names it.
    case sizeMismatch(what: String, expected: Int, actual: Int)
    /// A selected expert id outside `0..<expertsPerLayer`.
    case expertOutOfRange(expert: Int, expertsPerLayer: Int)
    /// The owner map names a worker outside `0..<workerCount`.
    case badOwner(expert: Int, worker: Int, workerCount: Int)
    /// A selected expert has no holder (its worker is gone): the request cannot be served.
    case noHolder(expert: Int)

    public var description: String {
        switch self {
        case .sizeMismatch(let what, let expected, let actual):
            "\(what) has \(actual) elements, expected \(expected)"
        case .expertOutOfRange(let expert, let experts):
            "selected expert \(expert) out of range 0..<\(experts)"
        case .badOwner(let expert, let worker, let count):
            "owner map sends expert \(expert) to worker \(worker), only \(count) workers"
        case .noHolder(let expert):
            "expert \(expert) has no live holder"
        }
    }
}
