import SwitchyardTools
import SwitchyardTokenizer
import ArgumentParser
import Foundation
import SwitchyardModel

/// `switchyard tokenize`: text to ids and back with a model directory's `tokenizer.json`, and an
/// encode-throughput benchmark.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Encode text to token ids (or decode ids to text) with a model's tokenizer.json.",
        discussion: """
            Needs only tokenizer.json (and tokenizer_config.json for BOS/EOS) in --model.
              switchyard tokenize --model DIR --json "Hello world"        {"ids": [...]}
              switchyard tokenize --model DIR --decode 1,2,3 --json       {"text": "..."}
              switchyard tokenize --model DIR --bench FILE                encode MB/s
            """
    )

    @Option(help: "Model directory holding tokenizer.json.")
    var model: String

    @Flag(help: "Print JSON: {\"ids\": [...]} or {\"text\": \"...\"}.")
    var json = false

    @Flag(name: .customLong("add-special-tokens"), help: "Add BOS/EOS as tokenizer_config.json (or the post-processor) says.")
    var addSpecialTokens = false

    @Option(help: "Decode these comma-separated ids instead of encoding TEXT.")
    var decode: String?

    @Flag(name: .customLong("keep-special"), help: "With --decode: keep special tokens (BOS, EOS...) in the text; by default they are left out, as `tokenizers` and vLLM decode.")
    var keepSpecial = false

    @Flag(name: .customLong("skip-special-tokens"), help: .hidden)
    var skipSpecialTokens = false

    @Option(help: "Encode this file (UTF-8) repeatedly and print the throughput in MB/s.")
    var bench: String?

    @Option(help: "With --bench: seconds to measure for at least.")
    var seconds: Double = 2

    @Argument(help: "Text to encode.")
    var text: String?

    func validate() throws {
        let modes = [text != nil, decode != nil, bench != nil].filter { $0 }.count
        guard modes == 1 else { throw ValidationError("give exactly one of TEXT, --decode IDS or --bench FILE") }
        guard seconds > 0, seconds <= 600 else { throw ValidationError("--seconds must be in (0, 600]") }
    }

    func run() throws {
        let tokenizer: Tokenizer
        do {
            tokenizer = try Tokenizer.load(directory: URL(fileURLWithPath: model))
        } catch {
            printError("tokenize: \(error)")
            throw ExitCode(1)
        }
        if let decode {
            try runDecode(decode, tokenizer)
        } else if let bench {
            try runBench(bench, tokenizer)
        } else if let text {
            let ids = tokenizer.encode(text, addSpecialTokens: addSpecialTokens)
            let list = ids.map(String.init).joined(separator: json ? ", " : " ")
            print(json ? "{\"ids\": [\(list)]}" : list)
        }
    }

    private func runDecode(_ list: String, _ tokenizer: Tokenizer) throws {
        guard !list.trimmingCharacters(in: .whitespaces).isEmpty else {
            printError("tokenize: --decode is empty: give comma-separated ids, e.g. 1,2,3")
            throw ExitCode(1)
        }
        let text: String
        do {
            let ids = try Generator.parseTokenIDs(list)
            text = try tokenizer.decode(ids, skipSpecialTokens: !keepSpecial)
        } catch {
            printError("tokenize: --decode \(list): \(error)")
            throw ExitCode(1)
        }
        print(json ? "{\"text\": \(JSONStringLiteral.quoted(text))}" : text)
    }

    private func runBench(_ path: String, _ tokenizer: Tokenizer) throws {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            printError("tokenize: --bench \(path) is not a readable UTF-8 file")
            throw ExitCode(1)
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let result = TokenizerBenchmark.run(tokenizer, lines: lines, minimumSeconds: seconds)
        if json {
            print("{\"bytes\": \(result.bytes), \"tokens\": \(result.tokens), \"seconds\": \(result.seconds), \"mb_per_s\": \(result.megabytesPerSecond), \"ids_hash\": \(result.idsHash)}")
        } else {
            print(String(format: "swift encode: %.2f MB/s (%d bytes, %d tokens per pass, %d passes in %.2f s, 1 thread)",
                         result.megabytesPerSecond, result.bytes, result.tokens, result.passes, result.seconds))
        }
    }
}
