import SwitchyardTensor

/// Why a model directory, config or checkpoint could not be loaded.
///
/// Every case carries enough context (file, key, tensor) for the message alone to say what to fix:
/// these reach users as the one line a failed `switchyard` command prints.
public enum ModelError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A file the model directory needs is absent.
    case missingFile(path: String, reason: String)
    /// A file could not be opened, read or mapped (errno text included).
    case io(path: String, reason: String)
    /// `config.json` or `generation_config.json` is not valid JSON or not an object.
    case invalidJSON(path: String, reason: String)
    /// `config.json` has a `model_type` Switchyard does not run.
    case unsupportedModelType(String)
    /// A required config key is absent.
    case missingConfigKey(path: String, key: String)
    /// A config key has the wrong type or an out-of-range value.
    case invalidConfigValue(path: String, key: String, reason: String)
    /// Config keys that contradict each other (e.g. heads not divisible by KV heads).
    case inconsistentConfig(path: String, reason: String)
    /// A RoPE variant Switchyard does not implement.
    case unsupportedRope(path: String, reason: String)
    /// A safetensors file whose header or layout is broken.
    case invalidSafetensors(path: String, reason: String)
    /// A tensor entry of a safetensors file is inconsistent (bad offsets, overlap, size mismatch).
    case invalidTensor(path: String, tensor: String, reason: String)
    /// A tensor uses a dtype Switchyard does not load.
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// The sharded index names a shard that is not there, or is malformed.
    case invalidIndex(path: String, reason: String)
    /// A tensor the model needs is not in the checkpoint.
    case missingTensor(name: String, directory: String)
    /// A tensor exists but is excluded by the checkpoint's `TensorFilter`.
    case tensorNotLoaded(name: String, filter: String)
    /// A tensor's shape differs from what the config implies.
    case shapeMismatch(path: String, tensor: String, expected: [Int], actual: [Int])
    /// An expert id or layer outside what the config declares.
    case noSuchExpert(layer: Int, expert: Int, reason: String)
    /// A tensor cannot be kept in the weight format asked for (e.g. its rows are not whole blocks).
    case formatDoesNotFit(tensor: String, format: String, reason: String)
    /// An expert cannot be split into the slices asked for (`--expert-slices`).
    case invalidSlice(String)

    public var description: String {
        switch self {
        case let .missingFile(path, reason):
            "missing file \(path): \(reason)"
        case let .io(path, reason):
            "cannot read \(path): \(reason)"
        case let .invalidJSON(path, reason):
            "\(path) is not valid JSON: \(reason)"
        case let .unsupportedModelType(type):
            "unsupported model_type \"\(type)\" (supported: \(ModelFamily.supportedList))"
        case let .missingConfigKey(path, key):
            "\(path): required key \"\(key)\" is missing"
        case let .invalidConfigValue(path, key, reason):
            "\(path): key \"\(key)\" \(reason)"
        case let .inconsistentConfig(path, reason):
            "\(path): inconsistent config: \(reason)"
        case let .unsupportedRope(path, reason):
            "\(path): unsupported RoPE configuration: \(reason)"
        case let .invalidSafetensors(path, reason):
            "\(path): invalid safetensors file: \(reason)"
        case let .invalidTensor(path, tensor, reason):
            "\(path): tensor \"\(tensor)\": \(reason)"
        case let .unsupportedDType(path, tensor, dtype):
            "\(path): tensor \"\(tensor)\" has unsupported dtype \(dtype) (supported: \(DTypeList.supported))"
        case let .invalidIndex(path, reason):
            "\(path): \(reason)"
        case let .missingTensor(name, directory):
            "tensor \"\(name)\" is not in the checkpoint at \(directory)"
        case let .tensorNotLoaded(name, filter):
            "tensor \"\(name)\" is excluded by this checkpoint's filter (\(filter))"
        case let .shapeMismatch(path, tensor, expected, actual):
            "\(path): tensor \"\(tensor)\" has shape \(actual), expected \(expected)"
        case let .noSuchExpert(layer, expert, reason):
            "no expert \(expert) in layer \(layer): \(reason)"
        case let .formatDoesNotFit(tensor, format, reason):
            "tensor \"\(tensor)\" cannot be kept as \(format): \(reason) (choose another --dtype / --dense-dtype)"
        case let .invalidSlice(reason):
            "cannot split the experts: \(reason)"
        }
    }
}

/// The dtype names Switchyard loads, for error messages.
enum DTypeList {
    static var supported: String { DType.allCases.map(\.rawValue).joined(separator: ", ") }
}
