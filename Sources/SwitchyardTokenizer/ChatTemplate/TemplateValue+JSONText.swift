extension TemplateValue {
    /// The value as Python's `json.dumps(value, ensure_ascii=False)` writes it (keys in order,
    /// `", "` and `": "` separators): how vLLM writes parsed tool-call arguments.
    public func jsonText() throws -> String {
        try JSONWriter(ensureASCII: false, indent: nil, separators: nil, sortKeys: false).dumps(SwitchyardTokenizer.Value(self))
    }
}
