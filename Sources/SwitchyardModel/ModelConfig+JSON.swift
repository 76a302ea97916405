import Foundation

/// A parsed JSON value: the exact types of config files, so a string where a number belongs is an
/// error naming the key rather than a silent default.
public enum ConfigJSON: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([ConfigJSON])
    case object([String: ConfigJSON])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([ConfigJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: ConfigJSON].self))
        }
    }

    /// Reads and parses a JSON file that must hold an object.
    public static func loadObject(_ url: URL) throws -> [String: ConfigJSON] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ModelError.io(path: url.path, reason: error.localizedDescription)
        }
        let value: ConfigJSON
        do {
            value = try JSONDecoder().decode(ConfigJSON.self, from: data)
        } catch {
            throw ModelError.invalidJSON(path: url.path, reason: String(describing: error))
        }
        guard case let .object(object) = value else {
            throw ModelError.invalidJSON(path: url.path, reason: "the top level is not an object")
        }
        return object
    }

    /// A short rendering for error messages.
    public var brief: String {
        switch self {
        case .null: "null"
        case let .bool(value): "\(value)"
        case let .number(value): value == value.rounded() && abs(value) < 1e15 ? "\(Int(value))" : "\(value)"
        case let .string(value): "\"\(value)\""
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// Typed, key-named access to one JSON object of a config file.
package struct ConfigReader {
    let path: String
    let object: [String: ConfigJSON]

    /// The value of `key`, nil when absent or JSON null.
    func value(_ key: String) -> ConfigJSON? {
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    func int(_ key: String) throws -> Int? {
        guard let value = value(key) else { return nil }
        guard case let .number(number) = value, number == number.rounded(), abs(number) < 9e15 else {
            throw ModelError.invalidConfigValue(path: path, key: key, reason: "must be an integer, got \(value.brief)")
        }
        return Int(number)
    }

    func int(_ key: String, default fallback: Int) throws -> Int {
        try int(key) ?? fallback
    }

    func requiredInt(_ key: String) throws -> Int {
        guard let value = try int(key) else { throw ModelError.missingConfigKey(path: path, key: key) }
        return value
    }

    /// A positive integer (sizes and counts).
    func positiveInt(_ key: String, default fallback: Int? = nil) throws -> Int {
        let value: Int
        if let fallback { value = try int(key, default: fallback) } else { value = try requiredInt(key) }
        guard value > 0 else {
            throw ModelError.invalidConfigValue(path: path, key: key, reason: "must be positive, got \(value)")
        }
        return value
    }

    func double(_ key: String) throws -> Double? {
        guard let value = value(key) else { return nil }
        guard case let .number(number) = value, number.isFinite else {
            throw ModelError.invalidConfigValue(path: path, key: key, reason: "must be a number, got \(value.brief)")
        }
        return number
    }

    func bool(_ key: String, default fallback: Bool) throws -> Bool {
        guard let value = value(key) else { return fallback }
        guard case let .bool(flag) = value else {
            throw ModelError.invalidConfigValue(path: path, key: key, reason: "must be true or false, got \(value.brief)")
        }
        return flag
    }

    func string(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        guard case let .string(text) = value else {
            throw ModelError.invalidConfigValue(path: path, key: key, reason: "must be a string, got \(value.brief)")
        }
        return text
    }

    func intList(_ key: String) throws -> [Int]? {
        guard let value = value(key) else { return nil }
        guard case let .array(items) = value else {
            throw ModelError.invalidConfigValue(path: path, key: key, reason: "must be a list of integers, got \(value.brief)")
        }
        return try items.map { item in
            guard case let .number(number) = item, number == number.rounded() else {
                throw ModelError.invalidConfigValue(path: path, key: key, reason: "must hold integers, got \(item.brief)")
            }
            return Int(number)
        }
    }

    /// An int or a list of ints (`eos_token_id`); nil when absent or null.
    func intOrList(_ key: String) throws -> [Int]? {
        guard let value = value(key) else { return nil }
        if case .array = value { return try intList(key) }
        guard let single = try int(key) else { return nil }
        return [single]
    }

    func stringList(_ key: String) throws -> [String]? {
        guard let value = value(key) else { return nil }
        guard case let .array(items) = value else {
            throw ModelError.invalidConfigValue(path: path, key: key, reason: "must be a list of strings, got \(value.brief)")
        }
        return try items.map { item in
            guard case let .string(text) = item else {
                throw ModelError.invalidConfigValue(path: path, key: key, reason: "must hold strings, got \(item.brief)")
            }
            return text
        }
    }

    func object(_ key: String) throws -> ConfigReader? {
        guard let value = value(key) else { return nil }
        guard case let .object(inner) = value else {
            throw ModelError.invalidConfigValue(path: path, key: key, reason: "must be an object, got \(value.brief)")
        }
        return ConfigReader(path: "\(path) [\(key)]", object: inner)
    }
}
