import SwitchyardTensor

extension Checkpoint {
    /// The entries of a GGUF model under their Hugging Face names (`GGUFHFTensorName`): one per
    /// tensor, and one per expert of each stacked `*_exps` tensor (its rows `[e * out, (e+1) * out)`).
    /// Only the slices `filter` admits are mapped: the router maps everything but the experts, a
    /// worker only its experts' byte ranges. Tensors without a Hugging Face counterpart are skipped.
    static func ggufEntries(_ model: GGUFModelFiles, config: ModelConfig, filter: TensorFilter) throws -> [String: Entry] {
        let info = try GGUFModelInfo(model: model)
        var entries: [String: Entry] = [:]
        for name in model.tensorNames {
            guard let location = model.tensor(named: name),
                  let mapped = GGUFHFTensorName.map(name, architecture: info.architecture) else { continue }
            let file = model.files[location.fileIndex]
            let tensor = location.info
            let heads = mapped.permutedQK.map {
                GGUFQKPermutation.heads(for: $0, headCount: info.headCount, headCountKV: info.headCountKV)
            }
            var slices: [(String, [Int], GGUFTensorSlice)] = []
            if mapped.isStackedExperts {
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
}
