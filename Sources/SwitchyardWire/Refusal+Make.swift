extension Switchyard_V1_Refusal {
    /// A refusal with `code` and `text` (cut to ``WireLimits/maxTextBytes`` bytes).
    public init(code: Switchyard_V1_ErrorCode, text: String) {
        self.init()
        self.code = code
        self.text = WireText.truncated(text)
    }

    /// The refusal for a decode error, so a peer learns why its message was dropped
    /// (version mismatch gets its own code; everything else is malformed).
    public init(for error: WireError) {
        let code: Switchyard_V1_ErrorCode = error.reason == .wrongVersion ? .versionMismatch : .malformed
        self.init(code: code, text: error.description)
    }
}
