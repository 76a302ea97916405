import Foundation
import SwitchyardModel
import SwitchyardTensor

/// A dense Llama-style checkpoint `upcycle` reads: its shape, its config keys, tensors by Hugging
/// Face name in f32, and its tokenizer files.
///
/// Reads are by element range so a tensor can be streamed in chunks: nothing is held beyond what
/// the caller asks for.
public protocol DenseCheckpointSource: AnyObject {
    /// What was opened (a directory or a .gguf path), for messages.
    var path: String { get }
    var shape: DenseModelShape { get }
    /// The dense model's `config.json` keys (synthesised for a GGUF), the base of the MoE config.
    var configObject: [String: ConfigJSON] { get }
    /// The storage type of the source's weights when it is one `DType` (nil for quantized GGUF).
    var storedDType: DType? { get }
    /// The row-major shape of tensor `name`, nil when the source does not have it.
    func tensorShape(_ name: String) -> [Int]?
    /// Fills `destination` with elements `elementOffset..<elementOffset+destination.count` of `name`, as f32.
    func read(_ name: String, elementOffset: Int, into destination: UnsafeMutableBufferPointer<Float>) throws
    /// Writes the tokenizer files (tokenizer.json, tokenizer_config.json with the chat template, ...)
    /// and generation_config.json into `directory`; returns the file names written.
    func writeTokenizerFiles(to directory: URL) throws -> [String]
}

extension DenseCheckpointSource {
    /// The whole tensor `name` in f32, checked against `expected`.
    public func readAll(_ name: String, expected: [Int]) throws -> [Float] {
        guard let actual = tensorShape(name) else {
            throw UpcycleError.badTensor(name: name, reason: "missing from \(path)")
        }
        guard actual == expected else {
            throw UpcycleError.badTensor(name: name, reason: "shape \(actual) in \(path), expected \(expected)")
        }
        let count = expected.reduce(1, *)
        var values = [Float](repeating: 0, count: count)
        try values.withUnsafeMutableBufferPointer { try read(name, elementOffset: 0, into: $0) }
        return values
    }
}
