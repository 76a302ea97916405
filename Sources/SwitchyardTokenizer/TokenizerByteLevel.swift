import SwitchyardModel
/// GPT-2's byte-to-unicode table: every byte maps to one printable character (printable Latin-1
/// bytes to themselves, the rest to U+0100 and up), so BPE works on text without control bytes.
package enum TokenizerByteLevel {
    /// `characters[byte]`: the character standing for `byte`.
    package static let characters: [Character] = {
        var result = [Character](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            if printable {
                result[byte] = Character(Unicode.Scalar(UInt32(byte))!)
            } else {
                result[byte] = Character(Unicode.Scalar(next)!)
                next += 1
            }
        }
        return result
    }()

    /// The byte each table character stands for, keyed by its scalar value.
    package static let bytes: [UInt32: UInt8] = {
        var result: [UInt32: UInt8] = [:]
        for (byte, character) in characters.enumerated() {
            result[character.unicodeScalars.first!.value] = UInt8(byte)
        }
        return result
    }()

    /// The table string of some UTF-8 bytes.
    package static func encode<Bytes: Sequence>(_ utf8: Bytes) -> String where Bytes.Element == UInt8 {
        var text = ""
        for byte in utf8 { text.append(characters[Int(byte)]) }
        return text
    }

    /// Appends the bytes a table string stands for; a token with a character outside the table is
    /// kept as its UTF-8 (as the `tokenizers` ByteLevel decoder does).
    package static func decode(_ token: String, into output: inout [UInt8]) {
        let start = output.count
        for scalar in token.unicodeScalars {
            guard let byte = bytes[scalar.value] else {
                output.removeSubrange(start...)
                output.append(contentsOf: token.utf8)
                return
            }
            output.append(byte)
        }
    }
}
