import SwitchyardModel
import SwitchyardTensor
import SwitchyardWire

/// The element type of the token rows a router sends to workers (`--wire-dtype`); workers answer
/// in the type they are sent. bf16 halves the bytes per token-layer and rounds each value once
/// each way (relative error ≤ 2⁻⁹).
public enum WireRowDType: String, Sendable, CaseIterable {
    case f32, bf16

    /// The wire enum value.
    public var wire: Switchyard_V1_DType { self == .bf16 ? .bf16 : .f32 }

    /// Bytes of one row of `hiddenSize` values.
    public func rowBytes(hiddenSize: Int) -> Int { hiddenSize * (self == .bf16 ? 2 : 4) }

    /// Resolves `--wire-dtype` (`auto`, `f32` or `bf16`): `auto` is bf16 when the experts are kept
    /// in anything but f32 (`dtypes.experts`, or for `auto` the checkpoint's `stored` format).
    public static func resolve(_ text: String, dtypes: WeightDTypes, stored: DType) throws(WireRowDTypeError) -> WireRowDType {
        try resolve(text, dtypes: dtypes, stored: stored == .bf16 ? WeightFormat.bf16 : .f32)
    }

    /// As above, with the stored format (a GGUF file's blocks count as not f32).
    public static func resolve(_ text: String, dtypes: WeightDTypes, stored: WeightFormat) throws(WireRowDTypeError) -> WireRowDType {
        switch text.lowercased() {
        case "f32": return .f32
        case "bf16": return .bf16
        case "auto": return dtypes.experts.resolve(stored: stored) == .f32 ? .f32 : .bf16
        default: throw WireRowDTypeError(value: text)
        }
    }
}

/// A `--wire-dtype` value other than auto, f32 and bf16.
public struct WireRowDTypeError: Error, CustomStringConvertible, Sendable {
    public let value: String
    public var description: String { "--wire-dtype \"\(value)\" is not one of auto, f32, bf16" }
}
