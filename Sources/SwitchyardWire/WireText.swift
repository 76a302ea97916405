/// Bounded text for error and refusal messages.
public enum WireText {
    /// `text` cut at a character boundary to at most `limit` UTF-8 bytes.
    public static func truncated(_ text: String, limit: Int = WireLimits.maxTextBytes) -> String {
        guard text.utf8.count > limit else { return text }
        var result = ""
        var bytes = 0
        for character in text {
            let size = character.utf8.count
            if bytes + size > limit { break }
            result.append(character)
            bytes += size
        }
        return result
    }
}
