/// The key/value metadata of one GGUF file, in file order, with typed accessors
/// whose errors name the file and key.
public struct GGUFMetadata: Sendable, Equatable {
    /// Path of the file the metadata came from (used in error messages).
    public let file: String
    /// Keys in file order.
    public let keys: [String]
    /// All values by key.
    public let values: [String: GGUFMetadataValue]

    public init(file: String, keys: [String], values: [String: GGUFMetadataValue]) {
        self.file = file
        self.keys = keys
        self.values = values
    }

    public subscript(key: String) -> GGUFMetadataValue? { values[key] }

    public func contains(_ key: String) -> Bool { values[key] != nil }

    func typeError(_ key: String, expected: String, found: GGUFMetadataValue) -> GGUFError {
        GGUFError(.wrongValueType, file: file, key: key,
                  "expected \(expected), found \(found.typeDescription)")
    }

    func missing(_ key: String) -> GGUFError {
        GGUFError(.missingKey, file: file, key: key, "required metadata key is missing")
    }

    /// Integer value (any integer type), nil if absent; throws on a non-integer.
    public func int(_ key: String) throws -> Int? {
        guard let v = values[key] else { return nil }
        guard let i = v.intValue else { throw typeError(key, expected: "an integer", found: v) }
        return i
    }

    public func requireInt(_ key: String) throws -> Int {
        guard let v = try int(key) else { throw missing(key) }
        return v
    }

    /// Float value (float32/float64; integers are accepted too), nil if absent.
    public func double(_ key: String) throws -> Double? {
        guard let v = values[key] else { return nil }
        if let d = v.doubleValue { return d }
        if let i = v.intValue { return Double(i) }
        throw typeError(key, expected: "a number", found: v)
    }

    public func requireDouble(_ key: String) throws -> Double {
        guard let v = try double(key) else { throw missing(key) }
        return v
    }

    public func bool(_ key: String) throws -> Bool? {
        guard let v = values[key] else { return nil }
        guard let b = v.boolValue else { throw typeError(key, expected: "a bool", found: v) }
        return b
    }

    public func string(_ key: String) throws -> String? {
        guard let v = values[key] else { return nil }
        guard let s = v.stringValue else { throw typeError(key, expected: "a string", found: v) }
        return s
    }

    public func requireString(_ key: String) throws -> String {
        guard let v = try string(key) else { throw missing(key) }
        return v
    }

    /// Array of strings, nil if absent.
    public func stringArray(_ key: String) throws -> [String]? {
        guard let v = values[key] else { return nil }
        guard case .array(.string, let items) = v else {
            throw typeError(key, expected: "array[string]", found: v)
        }
        return items.map { $0.stringValue! }
    }

    /// Array of integers (any integer element type), nil if absent.
    public func intArray(_ key: String) throws -> [Int]? {
        guard let v = values[key] else { return nil }
        guard case .array(_, let items) = v else { throw typeError(key, expected: "array of integers", found: v) }
        var out: [Int] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let i = item.intValue else { throw typeError(key, expected: "array of integers", found: v) }
            out.append(i)
        }
        return out
    }

    /// Array of floats (float32/float64 elements), nil if absent.
    public func floatArray(_ key: String) throws -> [Float]? {
        guard let v = values[key] else { return nil }
        guard case .array(_, let items) = v else { throw typeError(key, expected: "array of floats", found: v) }
        var out: [Float] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let d = item.doubleValue else { throw typeError(key, expected: "array of floats", found: v) }
            out.append(Float(d))
        }
        return out
    }

    /// Integer, or an array of integers that are all equal (per-layer values that
    /// do not vary); throws if the per-layer values differ.
    public func uniformInt(_ key: String) throws -> Int? {
        guard let v = values[key] else { return nil }
        if let i = v.intValue { return i }
        guard let arr = try intArray(key) else { return nil }
        guard let first = arr.first, arr.allSatisfy({ $0 == first }) else {
            throw GGUFError(.invalidValue, file: file, key: key,
                            "per-layer values that differ (\(arr.prefix(8))…) are not supported")
        }
        return first
    }
}
