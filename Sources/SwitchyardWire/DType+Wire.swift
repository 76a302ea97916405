extension Switchyard_V1_DType {
    /// Bytes per element, or nil for `unspecified` and values this build does not know.
    public var elementSize: Int? {
        switch self {
        case .f32: 4
        case .bf16: 2
        default: nil
        }
    }

    /// Short name for logs and errors ("f32", "bf16").
    public var wireName: String {
        switch self {
        case .f32: "f32"
        case .bf16: "bf16"
        case .unspecified: "unspecified"
        case .UNRECOGNIZED(let raw): "dtype(\(raw))"
        }
    }
}
