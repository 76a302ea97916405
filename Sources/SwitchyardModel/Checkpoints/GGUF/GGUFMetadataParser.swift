/// Decoding of metadata values (including nested arrays) from a cursor.
extension GGUFByteCursor {
    /// Deepest array nesting accepted; deeper nesting is only seen in hostile files
    /// and would otherwise allow unbounded recursion.
    static let maxArrayDepth = 8

    mutating func readValueType(_ what: String) throws -> GGUFValueType {
        let raw = try read(UInt32.self, what)
        guard let type = GGUFValueType(rawValue: raw) else {
            throw error(.unknownValueType, "unknown metadata value type id \(raw) in \(what)")
        }
        return type
    }

    mutating func readValue(_ type: GGUFValueType, depth: Int = 0) throws -> GGUFMetadataValue {
        switch type {
        case .uint8: return .uint8(try read(UInt8.self, "uint8 value"))
        case .int8: return .int8(try read(Int8.self, "int8 value"))
        case .uint16: return .uint16(try read(UInt16.self, "uint16 value"))
        case .int16: return .int16(try read(Int16.self, "int16 value"))
        case .uint32: return .uint32(try read(UInt32.self, "uint32 value"))
        case .int32: return .int32(try read(Int32.self, "int32 value"))
        case .uint64: return .uint64(try read(UInt64.self, "uint64 value"))
        case .int64: return .int64(try read(Int64.self, "int64 value"))
        case .float32: return .float32(try readFloat("float32 value"))
        case .float64: return .float64(try readDouble("float64 value"))
        case .bool: return .bool(try read(UInt8.self, "bool value") != 0)
        case .string: return .string(try readString("string value"))
        case .array:
            guard depth < Self.maxArrayDepth else {
                throw error(.arrayNestingTooDeep, "arrays nested deeper than \(Self.maxArrayDepth) levels")
            }
            let elementType = try readValueType("array element type")
            let count = try read(UInt64.self, "array length")
            let limit = UInt64(remaining / elementType.minimumEncodedSize)
            guard count <= limit else {
                throw error(.absurdCount,
                            "array of \(count) \(elementType) elements cannot fit in the \(remaining) bytes left (at most \(limit))")
            }
            var values: [GGUFMetadataValue] = []
            values.reserveCapacity(Int(count))
            for _ in 0 ..< Int(count) {
                values.append(try readValue(elementType, depth: depth + 1))
            }
            return .array(elementType: elementType, values: values)
        }
    }
}
