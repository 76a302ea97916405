/// A variable frame. Jinja2 scoping as observed in CPython Jinja2 3.1:
/// `for` bodies get a fresh child frame per iteration (assignments do not leak out or carry
/// over), `if` bodies share the enclosing frame, macros run in a child of their defining frame.
final class Scope {
    private var vars: [String: Value] = [:]
    let parent: Scope?

    init(parent: Scope?, vars: [String: Value] = [:]) {
        self.parent = parent
        self.vars = vars
    }

    func lookup(_ name: String) -> Value? {
        var s: Scope? = self
        while let cur = s {
            if let v = cur.vars[name] { return v }
            s = cur.parent
        }
        return nil
    }

    func set(_ name: String, _ value: Value) { vars[name] = value }
}

/// Control flow signal returned by statement execution (`break` / `continue`).
enum Flow {
    case normal, breakLoop, continueLoop
}
