import SwitchyardTensor

/// The format a weight is kept in after loading: `auto` keeps what the checkpoint holds (f32 stays
/// f32, bf16 stays bf16, f16 becomes f32, which holds it exactly; a GGUF tensor in a block format
/// keeps its blocks, copied as they are), or a named `WeightFormat` (converted at load, tensor by
/// tensor: a GGUF tensor is dequantized, then quantized to it).
public enum WeightDType: Equatable, Hashable, Sendable, CustomStringConvertible {
    case auto
    case format(WeightFormat)

    /// The values `--dtype` accepts, for help and errors.
    public static let accepted = ["auto"] + WeightFormat.allCases.map(\.rawValue)

    /// Parses `auto` or a format name (`f32`, `bf16`, `q8_0`, `q4_0`, `q4_1`, `q4_K`, `q5_K`, `q6_K`;
    /// case-insensitive); `option` names the flag in the error.
    public init(parsing text: String, option: String = "--dtype") throws(WeightDTypeError) {
        let lowered = text.lowercased()
        if lowered == "auto" {
            self = .auto
        } else if let format = WeightFormat.allCases.first(where: { $0.rawValue.lowercased() == lowered }) {
            self = .format(format)
        } else {
            throw WeightDTypeError(option: option, value: text)
        }
    }

    public var description: String {
        switch self {
        case .auto: "auto"
        case let .format(format): format.rawValue
        }
    }

    /// The format a tensor stored as `stored` is kept in.
    public func resolve(stored: DType) -> WeightFormat {
        resolve(stored: stored == .bf16 ? WeightFormat.bf16 : .f32)
    }

    /// The format a tensor whose values are stored in `stored` (f16 counts as f32) is kept in.
    public func resolve(stored: WeightFormat) -> WeightFormat {
        switch self {
        case let .format(format): format
        case .auto: stored
        }
    }
}

/// A `--dtype` value that is not one of `WeightDType.accepted`.
public struct WeightDTypeError: Error, CustomStringConvertible, Equatable, Sendable {
    public let option: String
    public let value: String

    public var description: String {
        "\(option) \"\(value)\" is not a weight format (expected one of: \(WeightDType.accepted.joined(separator: ", ")))"
    }
}

/// The formats of a model's weights: the FFN experts, and the dense products (attention q/k/v/o and
/// the head). Router gates follow `dense` except that a block-quantized dense choice leaves them in
/// the checkpoint's own precision (they are tiny and decide the routing).
public struct WeightDTypes: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var experts: WeightDType
    public var dense: WeightDType

    public init(experts: WeightDType = .auto, dense: WeightDType? = nil) {
        self.experts = experts
        self.dense = dense ?? experts
    }

    /// Everything as the checkpoint holds it.
    public static let auto = WeightDTypes()

    /// Parses `--dtype` and an optional `--dense-dtype` (which defaults to the `--dtype` value).
    public init(dtype: String?, denseDType: String?) throws(WeightDTypeError) {
        var experts = WeightDType.auto
        if let dtype { experts = try WeightDType(parsing: dtype) }
        var dense: WeightDType?
        if let denseDType { dense = try WeightDType(parsing: denseDType, option: "--dense-dtype") }
        self.init(experts: experts, dense: dense)
    }

    /// The choice for a router gate.
    var gates: WeightDType {
        if case let .format(format) = dense, format.blockSize > 1 { return .auto }
        return dense
    }

    public var description: String {
        experts == dense ? experts.description : "experts \(experts), dense \(dense)"
    }
}
