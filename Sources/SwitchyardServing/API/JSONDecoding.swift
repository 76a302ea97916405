import Foundation

/// JSON decoding of request bodies into `JSONValue`, with errors a client can read (never the
/// decoder's internals or Swift type names).
enum JSONDecoding {
    static func decode(_ bytes: [UInt8]) throws(BodyError) -> JSONValue {
        if bytes.isEmpty { throw BodyError("the body is empty") }
        guard String(validating: bytes, as: UTF8.self) != nil else { throw BodyError("the body is not valid UTF-8") }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw BodyError(Self.explain(bytes))
        }
    }

    /// A human reason for bytes the decoder refused: the usual suspects, else the generic one.
    static func explain(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        if text.range(of: #"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])"#, options: .regularExpression) != nil
            || text.range(of: #"(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"#, options: .regularExpression) != nil {
            return "it has a `\\u` escape of a lone UTF-16 surrogate (not a character)"
        }
        if text.range(of: #"[0-9][eE][+]?[0-9]{3,}"#, options: .regularExpression) != nil {
            return "it has a number too large for a 64-bit floating point value"
        }
        return "check its quotes, commas, brackets and escapes"
    }

    /// Why a body is not JSON, in words.
    struct BodyError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
