import Foundation
import SwitchyardModel
import SwitchyardTensor

/// A Hugging Face dense directory: `config.json` of a `LlamaForCausalLM` (model_type `llama`,
/// or `mistral` without a sliding window) and its safetensors (one file or an index of shards),
/// stored as f32, bf16 or f16.
public final class SafetensorsDenseSource: DenseCheckpointSource {
    public let path: String
    public let shape: DenseModelShape
    public let configObject: [String: ConfigJSON]
    public let storedDType: DType?
    private let directory: URL
    private let files: [String: SafetensorsFile]
    private let tensors: [String: (file: String, info: SafetensorsTensorInfo)]

    /// Opens `directory`; refuses MoE models and Llama variants a Mixtral cannot express.
    public init(directory: URL) throws {
        self.directory = directory
        path = directory.path
        configObject = try ConfigJSON.loadObject(directory.appendingPathComponent("config.json"))
        shape = try Self.parseShape(configObject, path: path)

        let indexURL = directory.appendingPathComponent(CheckpointLayout.indexFile)
        var names: [String]
        if FileManager.default.fileExists(atPath: indexURL.path) {
            names = Array(Set(try CheckpointLayout.readWeightMap(indexURL).values)).sorted()
        } else {
            names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
                .filter { $0.hasSuffix(".safetensors") }.sorted()
        }
        guard !names.isEmpty else {
            throw ModelError.missingFile(path: path, reason: "no *.safetensors file (and no \(CheckpointLayout.indexFile))")
        }
        var files: [String: SafetensorsFile] = [:]
        var tensors: [String: (String, SafetensorsTensorInfo)] = [:]
        var dtypes = Set<DType>()
        for name in names {
            let file = try SafetensorsFile(url: directory.appendingPathComponent(name))
            files[name] = file
            for info in file.header.tensors {
                tensors[info.name] = (name, info)
                dtypes.insert(info.dtype)
            }
        }
        self.files = files
        self.tensors = tensors
        storedDType = dtypes.count == 1 ? dtypes.first : nil
        if tensors.keys.contains(where: { $0.contains(".experts.") || $0.contains("block_sparse_moe") }) {
            throw UpcycleError.unsupportedModel(path: path, reason: "its tensors already hold experts (the model is MoE)")
        }
    }

    /// The dense shape of a Llama config, refusing what `upcycle` cannot turn into a Mixtral.
    static func parseShape(_ config: [String: ConfigJSON], path: String) throws -> DenseModelShape {
        func fail(_ reason: String) -> UpcycleError { .unsupportedModel(path: path, reason: reason) }
        func int(_ key: String) -> Int? {
            if case let .number(value)? = config[key], value == value.rounded() { return Int(value) }
            return nil
        }
        func flag(_ key: String) -> Bool {
            if case let .bool(value)? = config[key] { return value }
            return false
        }
        guard case let .string(modelType)? = config["model_type"] else { throw fail("config.json has no model_type") }
        let moeKeys = ["num_local_experts", "num_experts", "n_routed_experts", "moe_intermediate_size"]
        if ModelFamily(rawValue: modelType) != nil || moeKeys.contains(where: { (int($0) ?? 0) > 0 }) {
            throw fail("it is already a Mixture-of-Experts model (model_type \"\(modelType)\")")
        }
        guard modelType == "llama" || modelType == "mistral" else {
            throw fail("model_type \"\(modelType)\" is not a dense Llama-style model (supported: llama, mistral)")
        }
        if modelType == "mistral", int("sliding_window") != nil {
            throw fail("a sliding window is not supported (Mixtral here is written without one)")
        }
        if case let .string(act)? = config["hidden_act"], act != "silu" {
            throw fail("hidden_act \"\(act)\" is not silu (SwiGLU)")
        }
        if flag("attention_bias") || flag("mlp_bias") {
            throw fail("attention_bias / mlp_bias are set; Mixtral has no biases")
        }
        guard let hidden = int("hidden_size"), let intermediate = int("intermediate_size"),
              let layers = int("num_hidden_layers"), let heads = int("num_attention_heads"), let vocab = int("vocab_size"),
              hidden > 0, intermediate > 0, layers > 0, heads > 0, vocab > 0 else {
            throw fail("config.json lacks one of hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, vocab_size")
        }
        let kvHeads = int("num_key_value_heads") ?? heads
        let headDim = int("head_dim") ?? hidden / heads
        return DenseModelShape(hiddenSize: hidden, intermediateSize: intermediate, numLayers: layers, numHeads: heads,
                               numKVHeads: kvHeads, headDim: headDim, vocabSize: vocab,
                               tieWordEmbeddings: flag("tie_word_embeddings"))
    }

    public func tensorShape(_ name: String) -> [Int]? { tensors[name]?.info.shape }

    public func read(_ name: String, elementOffset: Int, into destination: UnsafeMutableBufferPointer<Float>) throws {
        guard let (fileName, info) = tensors[name], let file = files[fileName] else {
            throw UpcycleError.badTensor(name: name, reason: "missing from \(path)")
        }
        precondition(elementOffset + destination.count <= info.elementCount, "read past the end of \(name)")
        let start = info.dataStart + elementOffset * info.dtype.byteSize
        let count = destination.count * info.dtype.byteSize
        try file.map(ranges: [start..<(start + count)])
        guard let bytes = file.bytes(dataStart: start, count: count) else {
            throw UpcycleError.badTensor(name: name, reason: "could not map its bytes in \(fileName)")
        }
        DTypeConversion.toF32(info.dtype, bytes, destination.baseAddress!, count: destination.count)
    }

    /// Copies the tokenizer and generation files that exist next to the weights.
    public func writeTokenizerFiles(to output: URL) throws -> [String] {
        let names = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
                     "chat_template.json", "vocab.json", "merges.txt", "tokenizer.model", "added_tokens.json",
                     "generation_config.json"]
        var written: [String] = []
        for name in names {
            let source = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: source.path) else { continue }
            let target = output.appendingPathComponent(name)
            try? FileManager.default.removeItem(at: target)
            do {
                try FileManager.default.copyItem(at: source, to: target)
            } catch {
                throw ModelError.io(path: target.path, reason: "cannot copy \(name): \(error.localizedDescription)")
            }
            written.append(name)
        }
        return written
    }
}
