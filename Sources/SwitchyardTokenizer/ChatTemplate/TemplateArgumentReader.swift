/// Binds positional and keyword arguments of a builtin (filter, test, method, global) by
/// parameter position/name, the way a Python signature would.
struct ArgumentReader {
    let function: String
    let positional: [Value]
    let keyword: [(String, Value)]

    init(_ function: String, _ positional: [Value], _ keyword: [(String, Value)]) {
        self.function = function
        self.positional = positional
        self.keyword = keyword
    }

    /// Argument `index` (0-based, excluding the receiver) named `name`, if passed.
    func get(_ index: Int, _ name: String) -> Value? {
        if index < positional.count { return positional[index] }
        return keyword.last(where: { $0.0 == name })?.1
    }

    func string(_ index: Int, _ name: String) throws -> String? {
        guard let v = get(index, name) else { return nil }
        switch v {
        case .none: return nil
        case .string(let s): return s
        default: throw TemplateError.type(message: "\(function)() argument '\(name)' must be str, not \(v.typeName)")
        }
    }

    func int(_ index: Int, _ name: String) throws -> Int? {
        guard let v = get(index, name) else { return nil }
        switch v {
        case .none: return nil
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: throw TemplateError.type(message: "\(function)() argument '\(name)' must be int, not \(v.typeName)")
        }
    }

    func bool(_ index: Int, _ name: String, default def: Bool) -> Bool {
        get(index, name)?.truthy ?? def
    }

    func requireString(_ index: Int, _ name: String) throws -> String {
        guard let s = try string(index, name) else {
            throw TemplateError.type(message: "\(function)() missing required argument '\(name)'")
        }
        return s
    }
}
