/// A `SWITCHYARD_*` variable whose value its option cannot take (a flag set to `maybe`).
struct EnvironmentArgumentError: Error, Equatable, CustomStringConvertible {
    let variable: String
    let value: String
    let expected: String

    var description: String {
        "environment variable \(variable) is \"\(value)\"; expected \(expected)"
    }
}
