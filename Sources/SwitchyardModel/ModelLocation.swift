import Foundation

/// What a `--model PATH` names: a Hugging Face directory (`config.json` + safetensors) or a llama.cpp
/// GGUF model (a `.gguf` file, one file of a split set, or a directory holding one model's GGUF files
/// and no `config.json`). Config, checkpoint, tokenizer and fingerprint loaders all ask here.
public enum ModelLocation {
    /// Whether `url` names a GGUF model.
    public static func isGGUF(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            return url.pathExtension == "gguf"
        }
        guard isDirectory.boolValue else { return url.pathExtension == "gguf" }
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("config.json").path) { return false }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.contains { $0.hasSuffix(".gguf") && !$0.hasPrefix(".") }
    }
}
