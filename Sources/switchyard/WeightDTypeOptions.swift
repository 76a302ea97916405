import ArgumentParser
import SwitchyardModel
import SwitchyardTensor

/// `--dtype`, `--dense-dtype` and `--repack`: the formats weights are kept in once loaded, and
/// their layout, shared by every command that loads weights.
struct WeightDTypeOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Weight format of the FFN experts: auto (what the checkpoint holds: f32 stays f32, bf16 stays bf16), f32, bf16, q8_0, q4_0, q4_1, q4_K, q5_K or q6_K (quantized at load).",
        valueName: "format"))
    var dtype: String = "auto"

    @Option(name: .customLong("dense-dtype"), help: ArgumentHelp(
        "Weight format of attention and the head (default: the --dtype value); router gates stay in the checkpoint's precision when this is a block format.",
        valueName: "format"))
    var denseDType: String?

    @Option(help: ArgumentHelp(
        "Repack weights of every format but f32 with their rows interleaved by eight (decode reads eight rows per pass; GGUF tensors in those formats are then copied, not read in place): auto (on, except for generate), on or off.",
        valueName: "auto|on|off"))
    var repack: RepackChoice = .auto

    /// `--repack`'s values.
    enum RepackChoice: String, ExpressibleByArgument, CaseIterable {
        case auto, on, off
    }

    /// The parsed choice.
    func parsed() throws -> WeightDTypes {
        do {
            return try WeightDTypes(dtype: dtype, denseDType: denseDType)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func validate() throws { _ = try parsed() }

    /// Sets whether the weights loaded from now on are repacked (`BlockWeight.repacksRows`): `auto`
    /// gives `automatic`, the command's own default.
    func applyRepack(automatic: Bool) {
        BlockWeight.repacksRows = switch repack {
        case .auto: automatic
        case .on: true
        case .off: false
        }
    }

    /// The flags as given, to pass on to child processes (`up`).
    var arguments: [String] {
        ["--dtype", dtype] + (denseDType.map { ["--dense-dtype", $0] } ?? []) + ["--repack", repack.rawValue]
    }
}
