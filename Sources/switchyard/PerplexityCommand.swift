import ArgumentParser
import Foundation
import SwitchyardModel
import SwitchyardTensor
import SwitchyardTokenizer

/// `switchyard perplexity`: perplexity over a text in chunks of `--context` tokens (as
/// `llama-perplexity`), and against a baseline (the same checkpoint in another format, or another
/// checkpoint with the same tokenizer, e.g. the dense model an MoE was upcycled from) the mean KL
/// divergence and top-1 agreement, so a weight format's or an upcycling's quality cost is a number.
struct PerplexityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Perplexity of a model over a text (chunks of --context tokens, second halves scored), and KL divergence / top-1 agreement against a baseline format or checkpoint."
    )

    @Option(help: "Model: a Hugging Face directory (config.json + safetensors + tokenizer.json) or a GGUF file.")
    var model: String

    @Option(help: "UTF-8 text file to score (encoded with the model's tokenizer).")
    var text: String

    @OptionGroup var weightFormat: WeightDTypeOptions

    @Option(help: ArgumentHelp("Also run the checkpoint in this format (e.g. f32) on the same tokens and report KL(baseline ‖ model) and top-1 agreement.", valueName: "format"))
    var baseline: String?

    @Option(name: .customLong("baseline-model"), help: ArgumentHelp("Run the baseline on this other checkpoint (e.g. the dense model an MoE was upcycled from; in --baseline's format, default auto). Its tokenizer must encode the text to the same ids.", valueName: "path"))
    var baselineModel: String?

    @Option(help: "Tokens per chunk; the predictions of each chunk's second half are scored.")
    var context: Int = 512

    @Option(name: .customLong("max-chunks"), help: "Score at most this many chunks (default: every whole chunk of the text).")
    var maxChunks: Int?

    @Option(help: "Chunks decoded side by side (one batch row each).")
    var batch: Int = 16

    @Option(help: "Compute threads.")
    var threads: Int = 2

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        if let baseline { _ = try WeightDTypeOptions.parse(["--dtype", baseline]).parsed() }
        guard context >= 4 else { throw ValidationError("--context must be at least 4") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    }

    func run() async throws {
        do {
            BLAS.setThreads(threads)
            let directory = URL(fileURLWithPath: model)
            let tokenizer = try Tokenizer.load(directory: directory)
            let content = try String(contentsOfFile: text, encoding: .utf8)
            let tokens = tokenizer.encode(content, addSpecialTokens: false)
            let dtypes = try weightFormat.parsed()
            weightFormat.applyRepack(automatic: true)
            let engine = try Engine.load(directory: directory, dtypes: dtypes)
            engine.threads = threads
            let reference = try baselineEngine(tokens: tokens, content: content, model: directory)
            reference?.threads = threads
            let started = ContinuousClock.now
            let result = try await Perplexity.evaluate(
                engine: engine, baseline: reference, tokens: tokens, context: context, batch: batch, maxChunks: maxChunks
            ) { done, partial in
                if !json {
                    FileHandle.standardError.write(Data(String(format: "[%d chunks] ppl %.4f\n", done, partial.perplexity).utf8))
                }
            }
            let seconds = (ContinuousClock.now - started).seconds
            if json {
                var fields = [
                    "\"dtype\": \"\(dtypes)\"", "\"context\": \(context)", "\"chunks\": \(result.chunks)",
                    "\"tokens\": \(result.tokens)", "\"perplexity\": \(result.perplexity)",
                    "\"weight_bytes\": \(engine.weights.byteCount + ((engine.experts as? LocalExpertBackend)?.byteCount ?? 0))",
                ]
                if reference != nil {
                    fields += ["\"baseline\": \"\(baselineLabel)\"", "\"baseline_perplexity\": \(result.baselinePerplexity)",
                               "\"mean_kl\": \(result.meanKLDivergence)", "\"max_kl\": \(result.maxKLDivergence)",
                               "\"top1_agreement\": \(result.top1Agreement)"]
                }
                print("{" + fields.joined(separator: ", ") + "}")
            } else {
                print("model \(model), dtype \(dtypes): \(result.chunks) chunks of \(context) tokens, \(result.tokens) scored (\(Int(seconds)) s)")
                print(String(format: "perplexity %.4f", result.perplexity))
                if reference != nil {
                    print(String(format: "baseline (%@) perplexity %.4f", baselineLabel, result.baselinePerplexity))
                    print(String(format: "mean KL(baseline ‖ model) %.6f nats (max %.4f); top-1 agreement %.2f%%",
                                 result.meanKLDivergence, result.maxKLDivergence, 100 * result.top1Agreement))
                }
            }
        } catch {
            printError("perplexity: \(error)")
            throw ExitCode(1)
        }
    }

    /// What the baseline is, for the report: its format, its checkpoint, or both.
    var baselineLabel: String {
        [baselineModel, baseline].compactMap { $0 }.joined(separator: ", ")
    }

    /// The baseline engine (nil without `--baseline` or `--baseline-model`): `--baseline-model` (or
    /// the model itself) in `--baseline`'s format. Another checkpoint must encode `content` to `tokens`.
    func baselineEngine(tokens: [Int32], content: String, model: URL) throws -> Engine? {
        guard baseline != nil || baselineModel != nil else { return nil }
        let directory = baselineModel.map { URL(fileURLWithPath: $0) } ?? model
        if baselineModel != nil {
            let theirs = try Tokenizer.load(directory: directory).encode(content, addSpecialTokens: false)
            guard theirs == tokens else {
                let at = zip(theirs, tokens).prefix { $0 == $1 }.count
                throw ValidationError("--baseline-model \(directory.path) encodes the text differently (\(theirs.count) tokens vs \(tokens.count), first difference at token \(at)): the two models need the same tokenizer")
            }
        }
        return try Engine.load(directory: directory, dtypes: try WeightDTypeOptions.parse(["--dtype", baseline ?? "auto"]).parsed())
    }
}
