import SwitchyardModel
/// Turns a growing list of token ids into text deltas that never end inside a UTF-8 character,
/// for any decoder (byte-level, byte fallback, Metaspace, Strip...).
///
/// It decodes a short window twice, `ids[prefix..<read]` and `ids[prefix...]`, and emits what the
/// second adds to the first (the incremental detokenization of vLLM and TGI): both decodes start at
/// the same token, so start-of-text rules (a stripped leading space) apply to both alike. While the
/// window's text ends in U+FFFD (an incomplete character) nothing is emitted; the next token
/// usually completes it. Work per token is bounded by the window, not by the text so far.
public struct IncrementalDetokenizer: Sendable {
    private var ids: [Int32] = []
    private var prefixOffset = 0
    private var readOffset = 0

    public init() {}

    /// The ids appended so far and not yet discarded (the live window and what it holds back).
    public var pendingIDs: ArraySlice<Int32> { ids[readOffset...] }

    /// Adds `id` and returns the text it completes (often empty while a character is incomplete).
    public mutating func next(_ id: Int32, decode: (ArraySlice<Int32>) -> String) -> String {
        ids.append(id)
        let previous = decode(ids[prefixOffset..<readOffset])
        let current = decode(ids[prefixOffset...])
        guard current.unicodeScalars.last != "\u{FFFD}" else { return "" }
        let delta = Self.suffix(of: current, after: previous)
        prefixOffset = readOffset
        readOffset = ids.count
        if prefixOffset > 256 {
            ids.removeFirst(prefixOffset)
            readOffset -= prefixOffset
            prefixOffset = 0
        }
        return delta
    }

    /// Whatever is still held back (an incomplete character at the end becomes U+FFFD).
    public mutating func finish(decode: (ArraySlice<Int32>) -> String) -> String {
        guard readOffset < ids.count else { return "" }
        let delta = Self.suffix(of: decode(ids[prefixOffset...]), after: decode(ids[prefixOffset..<readOffset]))
        ids.removeAll()
        prefixOffset = 0
        readOffset = 0
        return delta
    }

    /// `current` without its leading `previous` (compared by Unicode scalars).
    static func suffix(of current: String, after previous: String) -> String {
        let scalars = current.unicodeScalars
        if scalars.starts(with: previous.unicodeScalars) {
            return String(scalars.dropFirst(previous.unicodeScalars.count))
        }
        // A decode that rewrote earlier text (an invalid byte run turning into U+FFFDs): skip as
        // many scalars as were already emitted.
        return String(scalars.dropFirst(min(previous.unicodeScalars.count, scalars.count)))
    }
}
