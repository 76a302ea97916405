import Foundation

/// Prompts read from a JSON Lines file, one prompt per line.
///
/// Each non-empty line is one of: a JSON array of token ids (`[1, 2, 3]`), a JSON string (text, for a
/// server that tokenizes), or an object `{"prompt": [..] or "..", "output_len": N}` where `output_len`
/// (or `max_tokens`) is optional and falls back to `--output-len`.
public enum PromptFile {
    /// Parses the text of a JSONL file; throws `BenchInputError` naming the line of any bad entry.
    public static func parse(_ text: String, defaultOutputTokens: Int, source: String = "prompt file") throws -> [BenchPrompt] {
        var prompts: [BenchPrompt] = []
        let decoder = JSONDecoder()
        var lineNumber = 0
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            let entry: PromptLine
            do {
                entry = try decoder.decode(PromptLine.self, from: Data(trimmed.utf8))
            } catch let error as BenchInputError {
                throw BenchInputError("\(source) line \(lineNumber): \(error.message)")
            } catch {
                throw BenchInputError("\(source) line \(lineNumber): expected a token-id array, a string or {\"prompt\": ...}")
            }
            let output = entry.outputTokens ?? defaultOutputTokens
            guard output > 0 else { throw BenchInputError("\(source) line \(lineNumber): output_len must be positive") }
            prompts.append(BenchPrompt(content: entry.content, outputTokens: output))
        }
        if prompts.isEmpty { throw BenchInputError("\(source) has no prompts") }
        return prompts
    }

    /// Reads and parses a file.
    public static func load(path: String, defaultOutputTokens: Int) throws -> [BenchPrompt] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BenchInputError("cannot read prompt file \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw BenchInputError("prompt file \(path) is not UTF-8 text")
        }
        return try parse(text, defaultOutputTokens: defaultOutputTokens, source: path)
    }

}

/// One decoded line of a prompt file.
private struct PromptLine: Decodable {
    var content: PromptContent
    var outputTokens: Int?

    private enum Keys: String, CodingKey {
        case prompt
        case outputLen = "output_len"
        case maxTokens = "max_tokens"
    }

    init(from decoder: any Decoder) throws {
        if let object = try? decoder.container(keyedBy: Keys.self) {
            guard object.contains(.prompt) else { throw BenchInputError("object has no \"prompt\"") }
            content = try PromptLine.content(try object.superDecoder(forKey: .prompt))
            outputTokens = try object.decodeIfPresent(Int.self, forKey: .outputLen)
                ?? object.decodeIfPresent(Int.self, forKey: .maxTokens)
        } else {
            content = try PromptLine.content(decoder)
            outputTokens = nil
        }
    }

    private static func content(_ decoder: any Decoder) throws -> PromptContent {
        let single = try decoder.singleValueContainer()
        if let text = try? single.decode(String.self) {
            guard !text.isEmpty else { throw BenchInputError("empty prompt") }
            return .text(text)
        }
        let ids = try single.decode([Int].self)
        guard !ids.isEmpty else { throw BenchInputError("empty prompt") }
        guard ids.allSatisfy({ $0 >= 0 }) else { throw BenchInputError("token ids must be non-negative") }
        return .tokenIDs(ids)
    }
}
