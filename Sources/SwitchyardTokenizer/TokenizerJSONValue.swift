import SwitchyardModel
/// A JSON value from `TokenizerJSONParser`: objects keep their members in order with exact keys.
indirect enum TokenizerJSONValue {
    struct Member {
        var key: String
        var value: TokenizerJSONValue
    }

    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([TokenizerJSONValue])
    case object([Member])

    /// The same value for the rest of the loader (duplicate-looking keys collapse there, which
    /// only matters for the vocabulary, read from the pairs directly).
    var config: ConfigJSON {
        switch self {
        case .null: .null
        case let .bool(value): .bool(value)
        case let .number(value): .number(value)
        case let .string(value): .string(value)
        case let .array(items): .array(items.map(\.config))
        case let .object(members):
            .object(Dictionary(members.map { ($0.key, $0.value.config) }, uniquingKeysWith: { first, _ in first }))
        }
    }

    func member(_ key: String) -> TokenizerJSONValue? {
        guard case let .object(members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }
}

