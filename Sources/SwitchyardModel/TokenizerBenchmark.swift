import Foundation

/// Encode throughput of a tokenizer on some text, one thread, as `switchyard tokenize --bench` and
/// `scripts/bench-tokenizer.sh` report it.
public enum TokenizerBenchmark {
    public struct Result: Sendable {
        public var bytes: Int
        public var tokens: Int
        public var passes: Int
        public var seconds: Double
        /// UTF-8 megabytes (10^6 bytes) encoded per second.
        public var megabytesPerSecond: Double { Double(bytes * passes) / 1e6 / seconds }
    }

    /// Encodes every line (without special tokens) in passes until `minimumSeconds` have passed.
    /// The first pass warms the word cache as a long-running server's would be.
    public static func run(_ tokenizer: Tokenizer, lines: [String], minimumSeconds: Double) -> Result {
        let bytes = lines.reduce(0) { $0 + $1.utf8.count }
        var tokens = 0
        for line in lines { tokens += tokenizer.encode(line).count }
        var passes = 0
        var encoded = 0
        let start = Date()
        repeat {
            for line in lines { encoded += tokenizer.encode(line).count }
            passes += 1
        } while Date().timeIntervalSince(start) < minimumSeconds
        let seconds = Date().timeIntervalSince(start)
        precondition(encoded == tokens * passes, "encoding is not deterministic")
        return Result(bytes: bytes, tokens: tokens, passes: passes, seconds: seconds)
    }
}
