/// The fuzz targets by name: each takes one input and either returns or stops the process on a
/// crash or a broken invariant. The libFuzzer executables (`Fuzz/<name>/`) and the corpus replay
/// test (`Tests/FuzzCorpusTests`) call the same functions.
public enum FuzzTargets {
    public static let all: [(name: String, run: @Sendable ([UInt8]) -> Void)] = [
        ("wire", WireFuzz.run),
        ("control", ControlFuzz.run),
        ("request", RequestFuzz.run),
        ("tokenizer", TokenizerFuzz.run),
        ("chat-template", ChatTemplateFuzz.run),
    ]

    /// The target called `name`, if any.
    public static func target(named name: String) -> (@Sendable ([UInt8]) -> Void)? {
        all.first { $0.name == name }?.run
    }

    /// Where the committed corpus lives: `Tests/FuzzCorpus/<target>/` of this checkout.
    public static var corpusRoot: String {
        let file = "\(#filePath)"
        var parts = file.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3) // Fuzz/SwitchyardFuzz/FuzzTargets.swift
        return parts.joined(separator: "/") + "/Tests/FuzzCorpus"
    }
}
