/// Errors thrown while parsing or rendering a chat template.
///
/// Messages are meant for humans and mirror the wording of Python Jinja2 where practical
/// (for example `'dict object' has no attribute 'content'`).
public enum TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The template source is not valid Jinja. `line` is 1-based.
    case syntax(message: String, line: Int)
    /// The template called `raise_exception(message)`.
    case raised(message: String)
    /// An undefined value was used in a way Jinja2 forbids (attribute access, arithmetic, calls...).
    case undefined(message: String)
    /// A value had the wrong type for an operation, filter, test or method.
    case type(message: String)
    /// The sandbox rejected an operation (Jinja2's `ImmutableSandboxedEnvironment` forbids mutating
    /// lists and dicts, e.g. `list.append`).
    case security(message: String)
    /// Any other runtime failure (unknown filter or test, bad argument, JSON input errors...).
    case runtime(message: String)

    /// The bare message, without a category prefix.
    public var message: String {
        switch self {
        case .syntax(let m, _), .raised(let m), .undefined(let m), .type(let m),
             .security(let m), .runtime(let m):
            return m
        }
    }

    public var description: String {
        switch self {
        case .syntax(let m, let line): return "template syntax error on line \(line): \(m)"
        case .raised(let m): return "template raised an exception: \(m)"
        case .undefined(let m): return "undefined value: \(m)"
        case .type(let m): return "type error: \(m)"
        case .security(let m): return "sandbox violation: \(m)"
        case .runtime(let m): return "template error: \(m)"
        }
    }
}
