import SwitchyardTensor

extension Checkpoint {
    /// The entries of a GGUF model under their Hugging Face names (`GGUFHFTensorName`): one per
    /// tensor, and one per expert of each stacked `*_exps` tensor (its rows `[e * out, (e+1) * out)`).
    /// Only the slices `filter` admits are mapped: the router maps everything but the experts, a
    /// worker only its experts' byte ranges. Tensors without a Hugging Face counterpart are skipped,
    /// except deepseek2's split `attn_k_b` / `attn_v_b`, from which `kv_b_proj` is rebuilt.
    static func ggufEntries(_ model: GGUFModelFiles, config: ModelConfig, filter: TensorFilter) throws -> [String: Entry] {
        let info = try GGUFModelInfo(model: model)
        var entries: [String: Entry] = [:]
        for layer in 0..<config.numLayers {
            guard let entry = try rebuiltLatentKVB(model, layer: layer, config: config, filter: filter) else { continue }
            entries[entry.info.name] = entry
        }
        for name in model.tensorNames {
            guard let location = model.tensor(named: name),
                  let mapped = GGUFHFTensorName.map(name, architecture: info.architecture),
                  (mapped.layer ?? 0) < config.numLayers else { continue }  // MTP blocks past the decoder
            let file = model.files[location.fileIndex]
            let tensor = location.info
            let heads = mapped.permutedQK.map {
                GGUFQKPermutation.heads(for: $0, headCount: info.headCount, headCountKV: info.headCountKV)
            }
            var slices: [(String, [Int], GGUFTensorSlice)] = []
            if mapped.isStackedExperts && tensor.dimensions.count == 2 {
                // gpt-oss's expert biases: [E, out], one row per expert.
                for expert in 0..<tensor.dimensions[1] {
                    let slice = try GGUFTensorSlice(file: file, info: tensor, firstRow: expert, rows: 1, permutationHeads: nil)
                    slices.append((mapped.hfName(expert: expert), [tensor.rowLength], slice))
                }
            } else if mapped.isStackedExperts {
                guard let experts = tensor.expertCount, let rows = tensor.rowsPerExpert else {
                    throw GGUFError(.notStackedTensor, file: file.path, tensor: name, "expected [E, out, in], found dims \(tensor.dimensions)")
                }
                for expert in 0..<experts {
                    let slice = try GGUFTensorSlice(file: file, info: tensor, firstRow: expert * rows, rows: rows, permutationHeads: nil)
                    slices.append((mapped.hfName(expert: expert), [rows, tensor.rowLength], slice))
                }
            } else {
                var shape = tensor.shape
                // qwen2moe's shared-expert gate is [1, hidden] in transformers, a vector in GGUF.
                if shape.count == 1, mapped.template.hasSuffix("shared_expert_gate.weight") { shape = [1, shape[0]] }
                let slice = try GGUFTensorSlice(file: file, info: tensor, firstRow: 0, rows: tensor.rowCount, permutationHeads: heads)
                slices.append((mapped.template, shape, slice))
            }
            for (hfName, shape, var slice) in slices {
                let role = WeightNames.role(of: hfName, config: config)
                if filter.includes(role) { try slice.map() }
                if let previous = entries[hfName] {
                    throw GGUFError(.duplicateTensorName, file: file.path, tensor: name, "maps to \(hfName) like a tensor of \(previous.path)")
                }
                entries[hfName] = Entry(storage: .gguf(slice),
                                        info: SafetensorsTensorInfo(name: hfName, dtype: .f32, shape: shape, dataStart: 0, dataEnd: 0),
                                        role: role)
            }
        }
        return entries
    }

    /// deepseek2's `kv_b_proj` of `layer` rebuilt from the `attn_k_b` `[H, kv_lora, nope]` (each
    /// head's key block transposed for llama.cpp's absorbed MLA) and `attn_v_b` `[H, v, kv_lora]` that
    /// newer converters write instead of it: per head, the nope key rows then the value rows, as
    /// transformers has them. Nil when the layer has no split pair (older files keep `attn_kv_b`).
    /// The values are dequantized only when `filter` admits the tensor (the router's).
    private static func rebuiltLatentKVB(_ model: GGUFModelFiles, layer: Int, config: ModelConfig, filter: TensorFilter) throws -> Entry? {
        guard let mla = config.latentAttention,
              let keys = model.tensor(named: "blk.\(layer).attn_k_b.weight"),
              let values = model.tensor(named: "blk.\(layer).attn_v_b.weight") else { return nil }
        let (heads, rank, nope, width) = (config.numHeads, mla.kvLoraRank, mla.nopeHeadDim, mla.valueHeadDim)
        let file = model.files[keys.fileIndex]
        guard keys.info.dimensions == [nope, rank, heads] else {
            throw GGUFError(.invalidValue, file: file.path, tensor: keys.info.name,
                            "expected dims [\(nope), \(rank), \(heads)] (nope, kv_lora_rank, heads), found \(keys.info.dimensions)")
        }
        guard values.info.dimensions == [rank, width, heads] else {
            throw GGUFError(.invalidValue, file: model.files[values.fileIndex].path, tensor: values.info.name,
                            "expected dims [\(rank), \(width), \(heads)] (kv_lora_rank, v_head_dim, heads), found \(values.info.dimensions)")
        }
        let name = "model.layers.\(layer).self_attn.kv_b_proj.weight"
        let shape = [heads * (nope + width), rank]
        let role = WeightNames.role(of: name, config: config)
        var rebuilt: [Float] = []
        if filter.includes(role) {
            func dequantized(_ location: GGUFTensorLocation) throws -> [Float] {
                var slice = try GGUFTensorSlice(file: model.files[location.fileIndex], info: location.info, firstRow: 0,
                                                rows: location.info.rowCount, permutationHeads: nil)
                try slice.map()
                let count = location.info.rowCount * location.info.rowLength
                return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    try slice.dequantize(elementOffset: 0, count: count, into: buffer.baseAddress!)
                    initialized = count
                }
            }
            let k = try dequantized(keys), v = try dequantized(values)
            rebuilt = [Float](repeating: 0, count: shape[0] * rank)
            for h in 0..<heads {
                let first: Int = h * (nope + width)
                for j in 0..<nope {
                    let row: Int = (first + j) * rank
                    for c in 0..<rank { rebuilt[row + c] = k[(h * rank + c) * nope + j] }
                }
                for j in 0..<width {
                    let row: Int = (first + nope + j) * rank
                    let source: Int = (h * width + j) * rank
                    for c in 0..<rank { rebuilt[row + c] = v[source + c] }
                }
            }
        }
        return Entry(storage: .rebuilt(rebuilt, path: file.path),
                     info: SafetensorsTensorInfo(name: name, dtype: .f32, shape: shape, dataStart: 0, dataEnd: 0), role: role)
    }
}
