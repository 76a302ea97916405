/// The command line after ``EnvironmentArguments/merge(arguments:environment:commands:)``, and
/// which options came from which variables (to point at the variable when a value is bad).
struct EnvironmentMerge: Sendable, Equatable {
    struct Source: Sendable, Equatable {
        /// `SWITCHYARD_PORT`.
        let variable: String
        /// `--port`.
        let spelling: String
    }

    let arguments: [String]
    let sources: [Source]

    /// One line per environment-supplied option that an error message names, saying which
    /// variable set it (the value is left out: it may be a secret such as an API key).
    func notes(about message: String) -> [String] {
        sources.filter { Self.message(message, names: $0.spelling) }.map {
            "Note: \($0.spelling) was set from the environment variable \($0.variable)."
        }
    }

    /// True when `spelling` occurs in `message` as a whole option name (`--port` in
    /// "'--port <port>'", not in "--port-range").
    private static func message(_ message: String, names spelling: String) -> Bool {
        var rest = message[...]
        while let range = rest.range(of: spelling) {
            let next = rest[range.upperBound...].first
            if next.map({ !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) ?? true { return true }
            rest = rest[range.upperBound...]
        }
        return false
    }
}
