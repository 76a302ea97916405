import Foundation

/// Where one tensor of a (possibly split) model lives.
public struct GGUFTensorLocation: Sendable, Equatable {
    /// Index into `GGUFModelFiles.files`.
    public let fileIndex: Int
    public let info: GGUFTensorInfo
}

/// All GGUF files of one model: a single file, the splits
/// `NAME-00001-of-0000N.gguf` … (llama.cpp `gguf-split` layout, metadata
/// `split.no` / `split.count` / `split.tensors.count`), or a directory holding
/// exactly one such model. Model metadata comes from the first split; every split
/// has its own header and data section.
public final class GGUFModelFiles: Sendable {
    /// Files ordered by split number.
    public let files: [GGUFFile]
    private let locations: [String: GGUFTensorLocation]
    /// Tensor names in order (file by file, then file order).
    public let tensorNames: [String]

    /// Opens a `.gguf` file (any split of a set pulls in all its siblings) or a
    /// directory containing one model's GGUF file(s).
    public init(path: String) throws {
        let paths = try Self.resolvePaths(path)
        var files: [GGUFFile] = []
        for p in paths { files.append(try GGUFFile(path: p)) }
        try Self.validateSplits(files)
        var locations: [String: GGUFTensorLocation] = [:]
        var names: [String] = []
        for (i, f) in files.enumerated() {
            for t in f.tensors {
                if let other = locations[t.name] {
                    throw GGUFError(.duplicateTensorName, file: f.path, tensor: t.name,
                                    "tensor also present in '\(files[other.fileIndex].path)'")
                }
                locations[t.name] = GGUFTensorLocation(fileIndex: i, info: t)
                names.append(t.name)
            }
        }
        self.files = files
        self.locations = locations
        self.tensorNames = names
    }

    /// Metadata of the first (or only) file.
    public var metadata: GGUFMetadata { files[0].metadata }

    public func tensor(named name: String) -> GGUFTensorLocation? { locations[name] }

    /// The file holding a tensor.
    public func file(forTensor name: String) throws -> GGUFFile {
        guard let loc = locations[name] else {
            throw GGUFError(.tensorNotFound, file: files[0].path, tensor: name, "no tensor with this name in any split")
        }
        return files[loc.fileIndex]
    }

    /// Raw data of a tensor (no copy; valid while `self` is alive).
    public func tensorData(named name: String) throws -> UnsafeRawBufferPointer {
        try file(forTensor: name).tensorData(named: name)
    }

    /// Parses `NAME-00001-of-00003.gguf` into (prefix "NAME", number 1, count 3).
    public static func parseSplitName(_ fileName: String) -> (prefix: String, number: Int, count: Int)? {
        guard fileName.hasSuffix(".gguf") else { return nil }
        let stem = fileName.dropLast(5)
        let parts = stem.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[parts.count - 2] == "of",
              let no = Int(parts[parts.count - 3]), let count = Int(parts[parts.count - 1]),
              parts[parts.count - 3].count == 5, parts[parts.count - 1].count == 5 else { return nil }
        return (parts[0 ..< parts.count - 3].joined(separator: "-"), no, count)
    }

    /// llama.cpp's split file name (`llama_split_path`).
    public static func splitFileName(prefix: String, number: Int, count: Int) -> String {
        func pad(_ n: Int) -> String { let s = String(n); return String(repeating: "0", count: max(0, 5 - s.count)) + s }
        return "\(prefix)-\(pad(number))-of-\(pad(count)).gguf"
    }

    /// The ordered file paths of the model at `path` (file or directory).
    public static func resolvePaths(_ path: String) throws -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw GGUFError(.cannotOpen, file: path, "no such file or directory")
        }
        if !isDir.boolValue { return try splitSiblings(of: path) }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        let ggufs = names.filter { $0.hasSuffix(".gguf") && !$0.hasPrefix(".") }.sorted()
        guard !ggufs.isEmpty else {
            throw GGUFError(.noGGUFFiles, file: path, "directory contains no .gguf file")
        }
        // Group into models: split sets by prefix, other files by name.
        var models = Set<String>()
        for n in ggufs { models.insert(parseSplitName(n).map { "\($0.prefix) (split)" } ?? n) }
        guard models.count == 1 else {
            throw GGUFError(.ambiguousDirectory, file: path,
                            "directory holds more than one model: \(models.sorted().joined(separator: ", "))")
        }
        return try splitSiblings(of: (path as NSString).appendingPathComponent(ggufs[0]))
    }

    /// For a split file, all split paths in order (checking that they exist);
    /// otherwise just `[path]`.
    static func splitSiblings(of path: String) throws -> [String] {
        let dir = (path as NSString).deletingLastPathComponent
        guard let s = parseSplitName((path as NSString).lastPathComponent) else { return [path] }
        guard s.count >= 1, s.number >= 1, s.number <= s.count else {
            throw GGUFError(.splitMismatch, file: path, "split number \(s.number) of \(s.count) is invalid")
        }
        return try (1 ... s.count).map { n in
            let p = (dir as NSString).appendingPathComponent(splitFileName(prefix: s.prefix, number: n, count: s.count))
            guard FileManager.default.fileExists(atPath: p) else {
                throw GGUFError(.missingSplitFile, file: p, "split \(n) of \(s.count) is missing")
            }
            return p
        }
    }

    /// Checks `split.*` metadata agrees with the file set.
    static func validateSplits(_ files: [GGUFFile]) throws {
        let count = files.count
        var total = 0
        for (i, f) in files.enumerated() {
            let m = f.metadata
            let declaredCount = try m.int("split.count")
            let no = try m.int("split.no")
            total += f.tensors.count
            if count == 1 && declaredCount == nil { continue }
            guard declaredCount == count else {
                throw GGUFError(.splitMismatch, file: f.path, key: "split.count",
                                "declares \(declaredCount.map(String.init) ?? "no") splits but \(count) file(s) were found")
            }
            guard no == i else {
                throw GGUFError(.splitMismatch, file: f.path, key: "split.no",
                                "is \(no.map(String.init) ?? "missing"), expected \(i) for file \(i + 1) of \(count)")
            }
        }
        if let declared = try files[0].metadata.int("split.tensors.count"), declared != total {
            throw GGUFError(.splitMismatch, file: files[0].path, key: "split.tensors.count",
                            "declares \(declared) tensors but the splits hold \(total)")
        }
    }
}
