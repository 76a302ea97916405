import ArgumentParser
import Foundation
import SwitchyardModel
import SwitchyardTensor
import SwitchyardTools

/// `switchyard upcycle`: turns a dense Llama-style model into a Mixture-of-Experts checkpoint.
struct UpcycleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upcycle",
        abstract: "Turn a dense Llama-style model (HF directory or GGUF) into a Mixtral MoE checkpoint.",
        discussion: """
        --mode copy (sparse upcycling): every expert is the dense FFN and a seeded random router \
        spreads tokens over them; the model's outputs equal the dense model's. \
        --mode split (MoEfication): the FFN's neurons are split into --experts equal groups by balanced \
        k-means; with --top-k equal to --experts the outputs equal the dense model's, with fewer a token \
        computes top-k/experts of the FFN.
        """
    )

    @Option(help: "The dense model: a Hugging Face directory (LlamaForCausalLM) or a llama .gguf file.")
    var model: String

    @Option(help: "Output directory (created if needed).")
    var out: String

    @Option(help: "Number of experts per layer (at least 2).")
    var experts: Int

    @Option(name: .customLong("top-k"), help: "Experts each token uses (1...experts).")
    var topK: Int

    @Option(help: "copy (every expert is the dense FFN) or split (the FFN's neurons partitioned).")
    var mode: String

    @Option(help: "Seed of the router (copy) or of the k-means start (split).")
    var seed: UInt64 = 0

    @Option(help: "Weight dtype of the output: f32, bf16 or f16 (default: the source's; f32 for a quantized GGUF).")
    var dtype: String?

    @Option(name: .customLong("max-shard-size"), help: "Shard files above this size, e.g. 1GB, 500MB, 2GiB.")
    var maxShardSize: String = "1GiB"

    @Flag(help: "Replace a checkpoint already in the output directory.")
    var overwrite = false

    func validate() throws { _ = try parsed() }

    func run() throws {
        let options = try parsed()
        let output = URL(fileURLWithPath: out)
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: output.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { fail("--out \(out) exists and is not a directory") }
            if manager.fileExists(atPath: output.appendingPathComponent("config.json").path) {
                guard overwrite else { fail("--out \(out) already holds a checkpoint (config.json); pass --overwrite to replace it") }
                for name in (try? manager.contentsOfDirectory(atPath: output.path)) ?? []
                where name.hasSuffix(".safetensors") || name == "model.safetensors.index.json" {
                    try? manager.removeItem(at: output.appendingPathComponent(name))
                }
            }
        }
        let start = Date()
        do {
            let source = try DenseSourceOpener.open(path: model)
            let summary = try Upcycler.run(source: source, options: options, to: output)
            print(report(summary, source: source, options: options, seconds: Date().timeIntervalSince(start)))
        } catch {
            fail("\(error)")
        }
    }

    private func fail(_ message: String) -> Never {
        printError("upcycle: \(message)")
        Foundation.exit(1)
    }

    private func report(_ s: Upcycler.Summary, source: any DenseCheckpointSource, options: UpcycleOptions, seconds: Double) -> String {
        func millions(_ n: Int) -> String { n >= 10_000_000 ? String(format: "%.1fM", Double(n) / 1e6) : "\(n)" }
        var lines = [
            "upcycled \(source.path) (dense, \(millions(s.denseParameters)) parameters, \(source.shape.numLayers) layers, FFN \(source.shape.intermediateSize))",
            "  mode \(options.mode.rawValue): \(s.experts) experts of intermediate size \(s.expertIntermediateSize) per layer, top-\(s.topK) routing (MixtralForCausalLM, \(s.dtype.torchName))",
            "  parameters: \(millions(s.parameters)) total, \(millions(s.activeParameters)) active per token",
        ]
        if let similarity = s.meanClusterSimilarity {
            lines.append(String(format: "  balanced k-means: mean cosine similarity of gate rows to their centroid %.3f", similarity))
        }
        let total = s.files.reduce(0) { $0 + $1.bytes }
        lines.append(String(format: "wrote %d files (%.1f MB) to %@ in %.1f s:", s.files.count, Double(total) / 1e6, out, seconds))
        for file in s.files {
            let padded = file.name.count < 32 ? file.name + String(repeating: " ", count: 32 - file.name.count) : file.name
            lines.append("  \(padded) \(file.bytes) bytes")
        }
        return lines.joined(separator: "\n")
    }

    private func parsed() throws -> UpcycleOptions {
        guard let mode = UpcycleOptions.Mode(rawValue: mode) else {
            throw ValidationError("unknown --mode \"\(mode)\" (supported: copy, split)")
        }
        var dtypeValue: DType?
        if let dtype {
            guard let value = DType(rawValue: dtype.uppercased()) else {
                throw ValidationError("unknown --dtype \"\(dtype)\" (supported: f32, bf16, f16)")
            }
            dtypeValue = value
        }
        guard experts >= 2 else { throw ValidationError("--experts must be at least 2, got \(experts)") }
        guard topK >= 1, topK <= experts else {
            throw ValidationError("--top-k must be between 1 and --experts (\(experts)), got \(topK)")
        }
        guard let shardBytes = ByteSize.parse(maxShardSize), shardBytes >= 1 << 20 else {
            throw ValidationError("--max-shard-size \"\(maxShardSize)\" must be a size of at least 1MiB, e.g. 1GB, 500MB, 2GiB")
        }
        guard !out.isEmpty else { throw ValidationError("--out must name a directory") }
        return UpcycleOptions(mode: mode, experts: experts, topK: topK, seed: seed, dtype: dtypeValue, maxShardBytes: shardBytes)
    }
}
