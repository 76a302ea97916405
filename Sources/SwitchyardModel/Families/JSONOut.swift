import Foundation

/// A JSON value written with a fixed layout (sorted keys, two-space indent, integers without a
/// fraction): config files are diffable and byte-identical across runs.
package indirect enum JSONOut {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    /// A float written in its shortest round-tripping form (1e-05, not 9.99999974e-06).
    case float(Float)
    case string(String)
    case array([JSONOut])
    case object([String: JSONOut])

    package func render(indent: String = "") -> String {
        let inner = indent + "  "
        switch self {
        case .null: return "null"
        case let .bool(value): return value ? "true" : "false"
        case let .int(value): return String(value)
        case let .double(value):
            if value == value.rounded(), abs(value) < 1e15 { return String(format: "%.1f", value) }
            return "\(value)"
        case let .float(value): return value == value.rounded() && abs(value) < 1e7 ? String(format: "%.1f", Double(value)) : "\(value)"
        case let .string(value): return JSONStringLiteral.quoted(value)
        case let .array(items):
            if items.isEmpty { return "[]" }
            return "[\n" + items.map { inner + $0.render(indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        case let .object(fields):
            if fields.isEmpty { return "{}" }
            return "{\n" + fields.keys.sorted().map { key in
                "\(inner)\(JSONStringLiteral.quoted(key)): \(fields[key]!.render(indent: inner))"
            }.joined(separator: ",\n") + "\n\(indent)}"
        }
    }
}
