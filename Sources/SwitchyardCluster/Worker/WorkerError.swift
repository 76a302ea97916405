import SwitchyardWire

/// Why a worker stopped or could not start.
public enum WorkerError: Error, Sendable, CustomStringConvertible {
    /// The model directory, flags or sockets could not be set up; the text says what.
    case setup(String)
    /// The router refused this worker for good (model mismatch, bad pin, duplicate id, version).
    case refused(code: Switchyard_V1_ErrorCode, text: String)

    public var description: String {
        switch self {
        case .setup(let text): text
        case .refused(let code, let text): "router refused this worker (\(code)): \(text)"
        }
    }
}
