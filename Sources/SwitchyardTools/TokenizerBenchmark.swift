import SwitchyardTensor
import SwitchyardModel
import SwitchyardTokenizer
import Foundation

/// Encode throughput of a tokenizer on some text, one thread, as `switchyard tokenize --bench` and
/// `scripts/bench-tokenizer.sh` report it.
public enum TokenizerBenchmark {
    public struct Result: Sendable {
        public var bytes: Int
        public var tokens: Int
        public var passes: Int
        public var seconds: Double
        /// FNV-1a over every id (4 bytes little-endian each) of one pass, to check that two
        /// implementations produced the same ids.
        public var idsHash: UInt64
        /// UTF-8 megabytes (10^6 bytes) encoded per second.
        public var megabytesPerSecond: Double { Double(bytes * passes) / 1e6 / seconds }
    }

    /// Encodes every line (without special tokens) in passes until `minimumSeconds` have passed.
    /// The first pass warms the word cache as a long-running server's would be.
    public static func run(_ tokenizer: Tokenizer, lines: [String], minimumSeconds: Double) -> Result {
        let bytes = lines.reduce(0) { $0 + $1.utf8.count }
        var tokens = 0
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for line in lines {
            let ids = tokenizer.encode(line)
            tokens += ids.count
            for id in ids {
                for shift in stride(from: 0, to: 32, by: 8) {
                    hash = (hash ^ UInt64((UInt32(bitPattern: id) >> UInt32(shift)) & 0xFF)) &* 0x100_0000_01B3
                }
            }
        }
        var passes = 0
        var encoded = 0
        let start = Date()
        repeat {
            for line in lines { encoded += tokenizer.encode(line).count }
            passes += 1
        } while Date().timeIntervalSince(start) < minimumSeconds
        let seconds = Date().timeIntervalSince(start)
        precondition(encoded == tokens * passes, "encoding is not deterministic")
        return Result(bytes: bytes, tokens: tokens, passes: passes, seconds: seconds, idsHash: hash)
    }
}
