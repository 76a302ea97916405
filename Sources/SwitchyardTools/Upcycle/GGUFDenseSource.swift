import Foundation
import SwitchyardModel
import SwitchyardTensor

/// A dense `llama`-architecture GGUF (one file or a split set) read as a Hugging Face
/// `LlamaForCausalLM`: tensors renamed (`GGUFHFTensorName`), dequantized to f32 row by row, the
/// Q/K rows of attention put back in HF order (`GGUFQKPermutation`), and the config and tokenizer
/// rebuilt from the metadata.
public final class GGUFDenseSource: DenseCheckpointSource {
    public let path: String
    public let shape: DenseModelShape
    public let configObject: [String: ConfigJSON]
    /// Quantized weights have no single DType: the output defaults to f32 (exact dequantization).
    public var storedDType: DType? { nil }
    private let model: GGUFModelFiles
    private let info: GGUFModelInfo
    /// HF name → (GGUF name, mapping).
    private let tensors: [String: (gguf: String, mapping: GGUFHFTensorName, info: GGUFTensorInfo)]

    public init(path: String) throws {
        self.path = path
        model = try GGUFModelFiles(path: path)
        info = try GGUFModelInfo(model: model)
        func fail(_ reason: String) -> UpcycleError { .unsupportedModel(path: path, reason: reason) }
        guard !info.isMoE else {
            throw fail("it is already a Mixture-of-Experts model (\(info.expertCount) experts)")
        }
        guard info.architecture == .llama else {
            throw fail("architecture \"\(info.architecture.rawValue)\" is not supported (only llama)")
        }
        guard info.ropeDimensionCount == info.keyLength, info.keyLength == info.valueLength else {
            throw fail("partial RoPE or unequal key/value head sizes are not supported")
        }
        guard let intermediate = info.feedForwardLength else { throw fail("no feed_forward_length") }
        shape = DenseModelShape(hiddenSize: info.embeddingLength, intermediateSize: intermediate, numLayers: info.blockCount,
                                numHeads: info.headCount, numKVHeads: info.headCountKV, headDim: info.keyLength,
                                vocabSize: info.vocabSize, tieWordEmbeddings: info.tiedEmbeddings)
        var tensors: [String: (String, GGUFHFTensorName, GGUFTensorInfo)] = [:]
        for name in model.tensorNames {
            guard let mapping = GGUFHFTensorName.map(name, architecture: .llama), let location = model.tensor(named: name) else { continue }
            tensors[mapping.hfName()] = (name, mapping, location.info)
        }
        self.tensors = tensors
        configObject = try Self.config(info: info, metadata: model.metadata)
    }

    /// The `config.json` keys transformers derives from the metadata for a llama GGUF.
    static func config(info: GGUFModelInfo, metadata: GGUFMetadata) throws -> [String: ConfigJSON] {
        var config: [String: ConfigJSON] = [
            "model_type": .string("llama"),
            "hidden_size": .number(Double(info.embeddingLength)),
            "intermediate_size": .number(Double(info.feedForwardLength ?? 0)),
            "num_hidden_layers": .number(Double(info.blockCount)),
            "num_attention_heads": .number(Double(info.headCount)),
            "num_key_value_heads": .number(Double(info.headCountKV)),
            "head_dim": .number(Double(info.keyLength)),
            "vocab_size": .number(Double(info.vocabSize)),
            "max_position_embeddings": .number(Double(info.contextLength)),
            "rms_norm_eps": .number(info.rmsNormEpsilon),
            "rope_theta": .number(info.ropeFreqBase),
            "tie_word_embeddings": .bool(info.tiedEmbeddings),
            "hidden_act": .string("silu"),
            "use_cache": .bool(true),
            "initializer_range": .number(0.02),
            "attention_dropout": .number(0),
        ]
        if let tokenizer = try? GGUFTokenizerData(metadata: metadata) {
            config["bos_token_id"] = tokenizer.bosTokenID.map { .number(Double($0)) } ?? .null
            config["eos_token_id"] = tokenizer.eosTokenID.map { .number(Double($0)) } ?? .null
            if let pad = tokenizer.paddingTokenID { config["pad_token_id"] = .number(Double(pad)) }
        }
        let scaling = info.ropeScaling
        if let type = scaling.type, type != "none", let factor = scaling.factor {
            var rope: [String: ConfigJSON] = ["rope_type": .string(type), "factor": .number(factor)]
            if let original = scaling.originalContextLength {
                rope["original_max_position_embeddings"] = .number(Double(original))
            }
            config["rope_scaling"] = .object(rope)
        }
        return config
    }

    public func tensorShape(_ name: String) -> [Int]? { tensors[name]?.info.shape }

    public func read(_ name: String, elementOffset: Int, into destination: UnsafeMutableBufferPointer<Float>) throws {
        guard let (gguf, mapping, tensor) = tensors[name] else {
            throw UpcycleError.badTensor(name: name, reason: "missing from \(path)")
        }
        let data = try model.tensorData(named: gguf)
        let rowLength = tensor.rowLength
        let rowBytes = tensor.rowByteCount
        let heads: Int? = mapping.permutedQK.map {
            GGUFQKPermutation.heads(for: $0, headCount: info.headCount, headCountKV: info.headCountKV)
        }
        var row = [Float](repeating: 0, count: rowLength)
        var done = 0
        while done < destination.count {
            let element = elementOffset + done
            let hfRow = element / rowLength
            let column = element % rowLength
            let ggufRow = heads.map { GGUFQKPermutation.ggufRow(forHFRow: hfRow, rowCount: tensor.rowCount, heads: $0) } ?? hfRow
            let source = UnsafeRawBufferPointer(rebasing: data[(ggufRow * rowBytes)..<((ggufRow + 1) * rowBytes)])
            try row.withUnsafeMutableBufferPointer { try Self.dequantize(source, type: tensor.type, count: rowLength, into: $0.baseAddress!, name: name) }
            let count = min(rowLength - column, destination.count - done)
            row.withUnsafeBufferPointer { (destination.baseAddress! + done).update(from: $0.baseAddress! + column, count: count) }
            done += count
        }
    }

    static func dequantize(_ source: UnsafeRawBufferPointer, type: GGUFTensorType, count: Int,
                           into destination: UnsafeMutablePointer<Float>, name: String) throws {
        switch type {
        case .f32: DTypeConversion.f32ToF32(source, destination, count: count)
        case .f16: DTypeConversion.f16ToF32(source, destination, count: count)
        case .bf16: DTypeConversion.bf16ToF32(source, destination, count: count)
        default:
            guard let format = WeightFormat(ggmlType: Int(type.rawValue)) else {
                throw UpcycleError.badTensor(name: name, reason: "GGUF type \(type) cannot be dequantized (supported: f32, f16, bf16, \(WeightFormat.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            format.dequantize(row: source.baseAddress!, cols: count, into: destination)
        }
    }

    public func writeTokenizerFiles(to directory: URL) throws -> [String] {
        let data: GGUFTokenizerData
        do {
            data = try GGUFTokenizerData(metadata: model.metadata)
        } catch {
            throw UpcycleError.unsupportedModel(path: path, reason: "its tokenizer metadata cannot be read: \(error)")
        }
        return try GGUFTokenizerExport.write(data, contextLength: info.contextLength, to: directory)
    }
}
