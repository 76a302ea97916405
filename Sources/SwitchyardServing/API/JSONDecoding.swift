import Foundation

/// JSON decoding of request bodies into `JSONValue`.
enum JSONDecoding {
    static func decode(_ bytes: [UInt8]) throws -> JSONValue {
        if bytes.isEmpty { throw EmptyBody() }
        return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    struct EmptyBody: Error, CustomStringConvertible {
        var description: String { "the body is empty" }
    }
}
