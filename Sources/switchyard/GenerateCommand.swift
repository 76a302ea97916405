import SwitchyardTokenizer
import ArgumentParser
import Foundation
import SwitchyardModel
import SwitchyardTensor

/// `switchyard generate`: runs the single-process engine on a prompt of token ids or text.
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate from a prompt (text, with the model's tokenizer.json, or token ids) with the single-process engine."
    )

    @Option(help: "Model: a Hugging Face directory (config.json + *.safetensors) or a GGUF file (split files, or a directory holding one model's GGUF).")
    var model: String

    @Option(name: .customLong("prompt-ids"), help: "Comma-separated prompt token ids, e.g. 5,17,2.")
    var promptIDs: String?

    @Option(help: "Prompt text, encoded with the model directory's tokenizer.json (BOS/EOS as tokenizer_config.json says).")
    var prompt: String?

    @Option(name: .customLong("max-tokens"), help: "Tokens to generate at most.")
    var maxTokens: Int = 16

    @Option(help: "Sampling temperature; 0 is greedy.")
    var temperature: Float = 0

    @Option(name: .customLong("top-k"), help: "Keep the k most likely tokens (0 = off).")
    var topK: Int = 0

    @Option(name: .customLong("top-p"), help: "Nucleus sampling probability mass (1 = off).")
    var topP: Float = 1

    @Option(help: "Seed for reproducible sampling.")
    var seed: UInt64?

    @Option(help: "Compute threads (the packed kernels and OpenBLAS).")
    var threads: Int = 2

    @Flag(help: "Print one JSON object with prompt_token_ids, token_ids, logprobs and finish_reason (and text with a tokenizer).")
    var json = false

    @OptionGroup var weightFormat: WeightDTypeOptions

    func validate() throws {
        guard (promptIDs == nil) != (prompt == nil) else {
            throw ValidationError("give exactly one of --prompt TEXT and --prompt-ids IDS")
        }
    }

    func run() async throws {
        do {
            BLAS.setThreads(threads)
            BlockWeight.copiesFusedWeightsIntoHugePages = false  // one prompt: first token first
            weightFormat.applyRepack(automatic: false)  // (the same reason, see `BlockWeight.repacksRows`)
            let directory = URL(fileURLWithPath: model)
            // The weights load on another thread while the tokenizer is built (a GGUF vocabulary of
            // 50k tokens and merges takes about as long as a small model's weights).
            let dtypes = try weightFormat.parsed()
            let loading = Task.detached { try Engine.load(directory: directory, dtypes: dtypes) }
            // --prompt needs the tokenizer; with --prompt-ids it only adds "text" to the output.
            let tokenizer: Tokenizer?
            if prompt != nil {
                tokenizer = try Tokenizer.load(directory: directory)
            } else if Tokenizer.exists(in: directory) {
                do { tokenizer = try Tokenizer.load(directory: directory) } catch {
                    printError("generate: ignoring the tokenizer (output as ids only): \(error)")
                    tokenizer = nil
                }
            } else {
                tokenizer = nil
            }
            let prompt: [Int32]
            if let text = self.prompt, let tokenizer {
                prompt = tokenizer.encode(text, addSpecialTokens: true)
            } else {
                prompt = try Generator.parseTokenIDs(promptIDs ?? "")
            }
            let params = SamplingParams(temperature: temperature, topK: topK, topP: topP, seed: seed)
            try params.validate()
            let engine = try await loading.value
            let generator = Generator(engine: engine)
            try generator.validate(prompt: prompt, maxTokens: maxTokens, params: params)
            let result = try await generator.generate(prompt: prompt, maxTokens: maxTokens, params: params)
            let text = tokenizer.map { $0.decodeKnown(result.tokenIDs, skipSpecialTokens: true) }
            if json {
                print(text.map { result.json(text: $0) } ?? result.json)
            } else {
                print(text ?? result.tokenIDs.map(String.init).joined(separator: " "))
            }
        } catch {
            printError("generate: \(error)")
            throw ExitCode(1)
        }
    }
}
