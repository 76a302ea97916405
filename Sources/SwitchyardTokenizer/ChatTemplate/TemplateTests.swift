/// Jinja2 builtin tests (`x is defined`, `x is string`, `x is equalto y`...).
enum Tests {
    static func apply(_ name: String, _ v: Value, _ args: [Value], _ kwargs: [(String, Value)], _ interp: Interpreter) throws -> Bool {
        let a = ArgumentReader(name, args, kwargs)
        func other() -> Value { a.get(0, "other") ?? .none }
        switch name {
        case "defined": return !v.isUndefined
        case "undefined": return v.isUndefined
        case "none": if case .none = v { return true } else { return false }
        case "string": if case .string = v { return true } else { return false }
        case "boolean": if case .bool = v { return true } else { return false }
        case "true": if case .bool(true) = v { return true } else { return false }
        case "false": if case .bool(false) = v { return true } else { return false }
        case "integer": if case .int = v { return true } else { return false }
        case "float": if case .double = v { return true } else { return false }
        case "number":
            switch v { case .int, .double, .bool: return true; default: return false }
        case "mapping":
            if case .dict = v { return true } else { return false }
        case "iterable":
            switch v { case .list, .tuple, .dict, .string, .undefined, .iterator: return true; default: return false }
        case "sequence":
            switch v { case .list, .tuple, .dict, .string, .undefined: return true; default: return false }
        case "callable":
            if case .callable = v { return true } else { return false }
        case "odd", "even":
            guard let i = Operators.intIndex(v) else {
                if case .undefined(let h) = v { throw TemplateError.undefined(message: h) }
                throw TemplateError.type(message: "not all arguments converted during string formatting")
            }
            return (abs(i) % 2 == 1) == (name == "odd")
        case "divisibleby":
            guard let i = Operators.intIndex(v), let n = Operators.intIndex(a.get(0, "num") ?? .none), n != 0 else {
                throw TemplateError.type(message: "divisibleby requires integers")
            }
            return i % n == 0
        case "eq", "equalto", "==": return Operators.equals(v, other())
        case "ne", "!=": return !Operators.equals(v, other())
        case "lt", "lessthan", "<": return try Operators.less(v, other())
        case "gt", "greaterthan", ">": return try Operators.less(other(), v)
        case "le", "<=": return try !Operators.less(other(), v)
        case "ge", ">=": return try !Operators.less(v, other())
        case "in": return try Operators.contains(a.get(0, "seq") ?? .none, v)
        case "sameas":
            let o = other()
            switch (v, o) {
            case (.none, .none): return true
            case (.bool(let x), .bool(let y)): return x == y
            case (.namespace(let x), .namespace(let y)): return x === y
            default: return false
            }
        case "lower":
            return PythonFormatting.str(v) == PythonFormatting.str(v).lowercased()
        case "upper":
            return PythonFormatting.str(v) == PythonFormatting.str(v).uppercased()
        case "escaped":
            return false
        default:
            throw TemplateError.runtime(message: "No test named '\(name)'.")
        }
    }
}
