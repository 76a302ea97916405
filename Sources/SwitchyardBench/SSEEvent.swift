/// One server-sent event: what a `data:` block (ended by a blank line) carried.
public struct SSEEvent: Sendable, Equatable {
    /// The `event:` field, `"message"` when absent.
    public var type: String
    /// The `data:` lines joined by `\n`.
    public var data: String
    /// The last `id:` field seen, if any.
    public var id: String?

    public init(type: String = "message", data: String, id: String? = nil) {
        self.type = type
        self.data = data
        self.id = id
    }
}
