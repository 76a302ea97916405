import Foundation
import SwitchyardModel

/// Opens what `--model` names: a Hugging Face directory or a `.gguf` file (or a directory holding one).
public enum DenseSourceOpener {
    public static func open(path: String) throws -> any DenseCheckpointSource {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelError.missingFile(path: path, reason: "no such file or directory")
        }
        let url = URL(fileURLWithPath: path)
        if isDirectory.boolValue, FileManager.default.fileExists(atPath: url.appendingPathComponent("config.json").path) {
            return try SafetensorsDenseSource(directory: url)
        }
        if path.hasSuffix(".gguf") || isDirectory.boolValue {
            return try GGUFDenseSource(path: path)
        }
        throw UpcycleError.unsupportedModel(path: path, reason: "neither a model directory (config.json) nor a .gguf file")
    }
}
