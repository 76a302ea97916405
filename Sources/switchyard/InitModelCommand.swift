import SwitchyardTools
import SwitchyardTokenizer
import ArgumentParser
import Foundation
import SwitchyardModel
import SwitchyardTensor

/// `switchyard init-model`: writes a random-weight Hugging Face checkpoint for demos, tests and benchmarks.
struct InitModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init-model",
        abstract: "Write a random-weight checkpoint (config.json + safetensors) that transformers can load."
    )

    @Option(help: "Model family: \(ModelFamily.supportedList).")
    var family: String = "mixtral"

    @Option(help: "Size: \(ModelInitializer.Preset.allCases.map(\.rawValue).joined(separator: ", ")) (bench: Mixtral-shaped, ~0.49B parameters).")
    var preset: String = "tiny"

    @Option(help: "Weight dtype: f32, bf16 or f16.")
    var dtype: String = "f32"

    @Option(help: "Random seed; the same seed writes the same weights.")
    var seed: UInt64 = 0

    @Option(help: "Output directory (created if needed).")
    var out: String

    @Option(name: .customLong("max-shard-size"), help: "Shard files above this size, e.g. 1GB, 500MB, 2GiB.")
    var maxShardSize: String = "1GiB"

    @Flag(help: "Replace a checkpoint already in the output directory.")
    var overwrite = false

    @Flag(name: .customLong("no-tokenizer"), help: "Do not write tokenizer.json / tokenizer_config.json (the model then takes token ids only).")
    var noTokenizer = false

    @Flag(name: .customLong("fit-vocabulary"), help: "Size the model's vocabulary to the trained tokenizer's, so every id it can sample decodes to text (the offline demo).")
    var fitVocabulary = false

    @Flag(name: .customLong("tokenizer-only"), help: "Only add the tokenizer to the checkpoint already in --out (its config.json gives the vocabulary size).")
    var tokenizerOnly = false

    func validate() throws {
        _ = try parsed()
        if tokenizerOnly && noTokenizer { throw ValidationError("--tokenizer-only and --no-tokenizer contradict each other") }
    }

    func run() throws {
        if fitVocabulary, noTokenizer || tokenizerOnly {
            throw ValidationError("--fit-vocabulary sizes the model to the tokenizer it writes: it cannot go with --no-tokenizer or --tokenizer-only")
        }
        if tokenizerOnly { return try writeTokenizerOnly() }
        let (family, preset, dtype, shardBytes) = try parsed()
        let directory = URL(fileURLWithPath: out)
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                printError("init-model: --out \(out) exists and is not a directory")
                throw ExitCode(1)
            }
            if !overwrite, manager.fileExists(atPath: directory.appendingPathComponent("config.json").path) {
                printError("init-model: --out \(out) already holds a checkpoint (config.json); pass --overwrite to replace it")
                throw ExitCode(1)
            }
            if overwrite {
                for name in (try? manager.contentsOfDirectory(atPath: directory.path)) ?? []
                where name.hasSuffix(".safetensors") || name == "model.safetensors.index.json" || name.hasPrefix("tokenizer") {
                    try? manager.removeItem(at: directory.appendingPathComponent(name))
                }
            }
        }
        var config = ModelInitializer.config(family: family, preset: preset, dtype: dtype)
        let start = Date()
        do {
            if fitVocabulary {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                let trained = try TokenizerTrainer.write(vocabSize: config.vocabSize, modelMaxLength: config.maxPositionEmbeddings, to: directory)
                config.vocabSize = trained.tokens.count
                print("wrote a byte-level BPE tokenizer (\(trained.tokens.count) tokens, \(trained.merges.count) merges) to \(directory.path); the model's vocabulary is its size")
            }
            let summary = try ModelInitializer.write(config: config, dtype: dtype, seed: seed, to: directory,
                                                     maxShardBytes: shardBytes)
            if !noTokenizer && !fitVocabulary {
                let trained = try TokenizerTrainer.write(vocabSize: config.vocabSize, modelMaxLength: config.maxPositionEmbeddings, to: directory)
                print("wrote a byte-level BPE tokenizer (\(trained.tokens.count) tokens, \(trained.merges.count) merges) to \(directory.path)")
            }
            let seconds = Date().timeIntervalSince(start)
            let megabytes = Double(summary.bytes) / 1e6
            print(String(format: "wrote %@ %@ %@ (%d parameters, %.1f MB in %d file%@) to %@ in %.1f s",
                         family.rawValue, preset.rawValue, dtype.rawValue, summary.parameters, megabytes,
                         summary.files.count, summary.files.count == 1 ? "" : "s", directory.path, seconds))
        } catch {
            printError("init-model: \(error)")
            throw ExitCode(1)
        }
    }

    private func writeTokenizerOnly() throws {
        let directory = URL(fileURLWithPath: out)
        do {
            let config = try ModelConfig.load(directory: directory)
            if Tokenizer.exists(in: directory), !overwrite {
                printError("init-model: --out \(out) already has a tokenizer.json; pass --overwrite to replace it")
                throw ExitCode(1)
            }
            let trained = try TokenizerTrainer.write(vocabSize: config.vocabSize, modelMaxLength: config.maxPositionEmbeddings, to: directory)
            print("wrote a byte-level BPE tokenizer (\(trained.tokens.count) tokens, \(trained.merges.count) merges) to \(directory.path)")
        } catch let exit as ExitCode {
            throw exit
        } catch {
            printError("init-model: \(error)")
            throw ExitCode(1)
        }
    }

    private func parsed() throws -> (ModelFamily, ModelInitializer.Preset, DType, Int) {
        guard let family = ModelFamily(rawValue: family) else {
            throw ValidationError("unknown --family \"\(family)\" (supported: \(ModelFamily.supportedList))")
        }
        guard let preset = ModelInitializer.Preset(rawValue: preset) else {
            throw ValidationError("unknown --preset \"\(preset)\" (supported: \(ModelInitializer.Preset.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard let dtype = DType(rawValue: dtype.uppercased()) else {
            throw ValidationError("unknown --dtype \"\(dtype)\" (supported: f32, bf16, f16)")
        }
        guard let shardBytes = ByteSize.parse(maxShardSize), shardBytes >= 1 << 20 else {
            throw ValidationError("--max-shard-size \"\(maxShardSize)\" must be a size of at least 1MiB, e.g. 1GB, 500MB, 2GiB")
        }
        guard !out.isEmpty else { throw ValidationError("--out must name a directory") }
        return (family, preset, dtype, shardBytes)
    }
}

/// Parses human byte sizes: "123", "500MB", "2GB" (powers of 1000), "1GiB" (powers of 1024).
enum ByteSize {
    static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [(String, Int)] = [("KIB", 1 << 10), ("MIB", 1 << 20), ("GIB", 1 << 30), ("TIB", 1 << 40),
                                      ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000),
                                      ("B", 1)]
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            guard let value = Double(trimmed.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), value > 0 else { return nil }
            return Int(value * Double(scale))
        }
        guard let value = Int(trimmed), value > 0 else { return nil }
        return value
    }
}
