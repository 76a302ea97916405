import SwitchyardModel
/// Literal string operations on UTF-8 bytes (exact code-point matching, unlike `Character`
/// comparison, which would treat " " followed by a combining mark as a different character).
enum TokenizerText {
    /// `text` with every occurrence of `pattern` replaced by `replacement`.
    static func replacing(_ text: String, _ pattern: String, with replacement: String) -> String {
        let needle = Array(pattern.utf8)
        guard !needle.isEmpty else { return text }
        var text = text
        return text.withUTF8 { haystack -> String in
            var output: [UInt8] = []
            var index = 0
            var found = false
            let count = haystack.count, length = needle.count
            while index < count {
                if haystack[index] == needle[0], index + length <= count, matches(haystack, at: index, needle) {
                    if !found {
                        found = true
                        output.reserveCapacity(count + count / 4)
                        output.append(contentsOf: haystack[0..<index])
                    }
                    output.append(contentsOf: replacement.utf8)
                    index += length
                } else {
                    if found { output.append(haystack[index]) }
                    index += 1
                }
            }
            return found ? String(decoding: output, as: UTF8.self) : String(decoding: haystack, as: UTF8.self)
        }
    }

    @inline(__always)
    static func matches(_ haystack: UnsafeBufferPointer<UInt8>, at index: Int, _ needle: [UInt8]) -> Bool {
        for offset in 1..<needle.count where haystack[index + offset] != needle[offset] { return false }
        return true
    }
}
