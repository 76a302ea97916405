import Foundation

/// Which files of a model directory to open and which byte ranges of them to map (pure logic
/// apart from reading the index).
package enum CheckpointLayout {
    package static let singleFile = "model.safetensors"
    package static let indexFile = "model.safetensors.index.json"

    /// The safetensors files to open, each with the tensor names the index assigns to it
    /// (nil for an unsharded checkpoint), restricted to files holding tensors `filter` admits.
    package static func fileNames(directory: URL, config: ModelConfig, filter: TensorFilter) throws -> [(String, Set<String>?)] {
        let indexURL = directory.appendingPathComponent(indexFile)
        let manager = FileManager.default
        if manager.fileExists(atPath: indexURL.path) {
            let weightMap = try readWeightMap(indexURL)
            var byFile: [String: Set<String>] = [:]
            for (tensor, file) in weightMap { byFile[file, default: []].insert(tensor) }
            return byFile.keys.sorted().compactMap { file in
                let names = byFile[file]!
                let needed = names.contains { filter.includes(WeightNames.role(of: $0, config: config)) }
                return needed ? (file, names) : nil
            }
        }
        if manager.fileExists(atPath: directory.appendingPathComponent(singleFile).path) {
            return [(singleFile, nil)]
        }
        throw ModelError.missingFile(path: directory.path, reason: "no \(singleFile) or \(indexFile) in the model directory")
    }

    /// The `weight_map` of a sharded index: tensor name to shard file name.
    package static func readWeightMap(_ url: URL) throws -> [String: String] {
        let object: [String: ConfigJSON]
        do {
            object = try ConfigJSON.loadObject(url)
        } catch let ModelError.invalidJSON(path, reason) {
            throw ModelError.invalidIndex(path: path, reason: "not valid JSON: \(reason)")
        }
        guard case let .object(map)? = object["weight_map"] else {
            throw ModelError.invalidIndex(path: url.path, reason: "no \"weight_map\" object")
        }
        var result: [String: String] = [:]
        for (tensor, value) in map {
            guard case let .string(file) = value, !file.isEmpty, !file.contains("/"), file != ".", file != ".." else {
                throw ModelError.invalidIndex(path: url.path, reason: "weight_map entry for \"\(tensor)\" is not a plain file name")
            }
            result[tensor] = file
        }
        guard !result.isEmpty else {
            throw ModelError.invalidIndex(path: url.path, reason: "\"weight_map\" is empty")
        }
        return result
    }

    /// The data-region byte ranges of `info` a process with `filter` needs.
    package static func neededRanges(info: SafetensorsTensorInfo, role: TensorRole, filter: TensorFilter, config: ModelConfig) -> [Range<Int>] {
        let whole = [info.dataStart..<info.dataEnd]
        guard filter.includes(role) else { return [] }
        guard case let .fusedExperts(layer, _) = role, case let .experts(keys) = filter,
              let experts = info.shape.first, experts > 0 else { return whole }
        let perExpert = info.byteCount / experts
        return keys.filter { $0.layer == layer && $0.expert < experts }.map { key in
            let start = info.dataStart + key.expert * perExpert
            return start..<(start + perExpert)
        }
    }
}
