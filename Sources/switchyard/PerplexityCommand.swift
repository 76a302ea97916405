import ArgumentParser
import Foundation
import SwitchyardModel
import SwitchyardTensor
import SwitchyardTokenizer

/// `switchyard perplexity`: perplexity over a text in chunks of `--context` tokens (as
/// `llama-perplexity`), and against a baseline format of the same checkpoint the mean KL divergence
/// and top-1 agreement, so a weight format's quality cost is a number.
struct PerplexityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Perplexity of a model over a text (chunks of --context tokens, second halves scored), and KL divergence / top-1 agreement against a baseline format."
    )

    @Option(help: "Hugging Face model directory (config.json + safetensors + tokenizer.json).")
    var model: String

    @Option(help: "UTF-8 text file to score (encoded with the model's tokenizer).")
    var text: String

    @OptionGroup var weightFormat: WeightDTypeOptions

    @Option(help: ArgumentHelp("Also run the checkpoint in this format (e.g. f32) on the same tokens and report KL(baseline ‖ model) and top-1 agreement.", valueName: "format"))
    var baseline: String?

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
            let engine = try Engine.load(directory: directory, dtypes: dtypes)
            engine.threads = threads
            let reference = try baseline.map { name in
                try Engine.load(directory: directory, dtypes: try WeightDTypeOptions.parse(["--dtype", name]).parsed())
            }
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
                if let baseline {
                    fields += ["\"baseline\": \"\(baseline)\"", "\"baseline_perplexity\": \(result.baselinePerplexity)",
                               "\"mean_kl\": \(result.meanKLDivergence)", "\"max_kl\": \(result.maxKLDivergence)",
                               "\"top1_agreement\": \(result.top1Agreement)"]
                }
                print("{" + fields.joined(separator: ", ") + "}")
            } else {
                print("model \(model), dtype \(dtypes): \(result.chunks) chunks of \(context) tokens, \(result.tokens) scored (\(Int(seconds)) s)")
                print(String(format: "perplexity %.4f", result.perplexity))
                if let baseline {
                    print(String(format: "baseline (%@) perplexity %.4f", baseline, result.baselinePerplexity))
                    print(String(format: "mean KL(baseline ‖ model) %.6f nats (max %.4f); top-1 agreement %.2f%%",
                                 result.meanKLDivergence, result.maxKLDivergence, 100 * result.top1Agreement))
                }
            }
        } catch {
            printError("perplexity: \(error)")
            throw ExitCode(1)
        }
    }
}
