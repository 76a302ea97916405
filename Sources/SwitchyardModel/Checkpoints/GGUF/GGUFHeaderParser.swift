/// Result of parsing and validating everything before the data section.
struct GGUFParsedHeader: Sendable {
    var version: UInt32
    var metadata: GGUFMetadata
    var alignment: Int
    var dataSectionOffset: Int
    var tensors: [GGUFTensorInfo]
}

/// Parses the header, metadata and tensor infos of a GGUF file and validates the
/// tensor layout against the file size. Pure function of the bytes.
enum GGUFHeaderParser {
    static let magic: [UInt8] = Array("GGUF".utf8)
    static let defaultAlignment = 32
    /// llama.cpp's GGML_MAX_NAME is 64 including the terminator.
    static let maxTensorNameBytes = 63
    static let maxDimensions = 4
    /// Smallest encodings: KV = key length + type + 1-byte value; tensor info =
    /// name length + n_dims + type + offset.
    static let minKVBytes = 8 + 4 + 1
    static let minTensorInfoBytes = 8 + 4 + 4 + 8

    static func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws -> GGUFParsedHeader {
        var c = GGUFByteCursor(bytes: bytes, file: file)
        c.truncationKind = .truncatedHeader

        // Magic and version.
        guard bytes.count >= 4 else {
            throw c.error(.truncatedHeader, "file is \(bytes.count) bytes, too short for a GGUF header")
        }
        let found = Array(bytes[0 ..< 4])
        guard found == magic else {
            throw c.error(.badMagic, "bad magic \(found.map { String(format2: $0) }.joined(separator: " ")) (expected 47 47 55 46, \"GGUF\")")
        }
        c.skip(4)
        let version = try c.read(UInt32.self, "version")
        if version & 0xFFFF == 0, version != 0 {
            throw c.error(.bigEndian, "file appears to be big-endian (version field reads \(version), byte-swapped \(version.byteSwapped)); only little-endian GGUF is supported")
        }
        guard version == 2 || version == 3 else {
            let hint = version == 1 ? " (GGUF v1 is obsolete)" : ""
            throw c.error(.unsupportedVersion, "unsupported GGUF version \(version)\(hint); supported versions are 2 and 3")
        }
        let tensorCount = try c.read(UInt64.self, "tensor count")
        let kvCount = try c.read(UInt64.self, "metadata key/value count")
        let kvLimit = UInt64(c.remaining / minKVBytes)
        guard kvCount <= kvLimit else {
            throw c.error(.absurdCount, "metadata count \(kvCount) cannot fit in the file (at most \(kvLimit))")
        }
        let tensorLimit = UInt64(c.remaining / minTensorInfoBytes)
        guard tensorCount <= tensorLimit else {
            throw c.error(.absurdCount, "tensor count \(tensorCount) cannot fit in the file (at most \(tensorLimit))")
        }

        // Metadata.
        c.truncationKind = .truncatedMetadata
        var keys: [String] = []
        var values: [String: GGUFMetadataValue] = [:]
        keys.reserveCapacity(Int(kvCount))
        for index in 0 ..< Int(kvCount) {
            c.currentKey = nil
            let key = try c.readString("key of metadata entry \(index)")
            c.currentKey = key
            guard values[key] == nil else {
                throw c.error(.duplicateKey, "key appears more than once in the metadata")
            }
            let type = try c.readValueType("value type")
            values[key] = try c.readValue(type)
            keys.append(key)
        }
        c.currentKey = nil
        let metadata = GGUFMetadata(file: file, keys: keys, values: values)
        let alignment = try readAlignment(metadata, file: file)

        // Tensor infos.
        c.truncationKind = .truncatedTensorInfo
        var raw: [(name: String, dims: [Int], type: GGUFTensorType, offset: UInt64, bytes: Int, elements: Int)] = []
        raw.reserveCapacity(Int(tensorCount))
        var seen = Set<String>()
        for index in 0 ..< Int(tensorCount) {
            c.currentTensor = nil
            let name = try c.readString("name of tensor \(index)")
            c.currentTensor = name
            guard name.utf8.count <= maxTensorNameBytes else {
                throw c.error(.tensorNameTooLong, "tensor name is \(name.utf8.count) bytes; at most \(maxTensorNameBytes) are allowed")
            }
            guard seen.insert(name).inserted else {
                throw c.error(.duplicateTensorName, "tensor name appears more than once")
            }
            let nDims = try c.read(UInt32.self, "number of dimensions")
            guard nDims <= UInt32(maxDimensions) else {
                throw c.error(.tooManyDimensions, "tensor has \(nDims) dimensions; at most \(maxDimensions) are supported")
            }
            var rawDims: [UInt64] = []
            for d in 0 ..< Int(nDims) { rawDims.append(try c.read(UInt64.self, "dimension \(d)")) }
            let typeID = try c.read(UInt32.self, "tensor type")
            let offset = try c.read(UInt64.self, "data offset")
            guard let type = GGUFTensorType(rawValue: typeID) else {
                throw c.error(.unknownTensorType, "unknown ggml tensor type id \(typeID)")
            }
            guard rawDims.allSatisfy({ $0 <= UInt64(Int64.max) }) else {
                throw c.error(.invalidDimension, "dimension out of range in \(rawDims) (ggml dimensions are int64)")
            }
            let dims = rawDims.map { Int($0) }
            var elements = 1
            for d in dims {
                let (p, o) = elements.multipliedReportingOverflow(by: d)
                guard !o else {
                    throw c.error(.elementCountOverflow, "element count of dimensions \(dims) overflows 64 bits")
                }
                elements = p
            }
            let rowLength = dims.first ?? 1
            guard rowLength % type.blockSize == 0 else {
                throw c.error(.rowNotMultipleOfBlockSize, "row length \(rowLength) (ne0) is not a multiple of the \(type) block size \(type.blockSize)")
            }
            let blocks = rowLength == 0 ? 0 : elements / type.blockSize
            let (byteCount, o) = blocks.multipliedReportingOverflow(by: type.blockByteCount)
            guard !o else {
                throw c.error(.elementCountOverflow, "byte size of dimensions \(dims) overflows 64 bits")
            }
            raw.append((name, dims, type, offset, byteCount, elements))
        }
        c.currentTensor = nil

        // Data section and tensor placement.
        let headerEnd = c.offset
        let dataStart = (headerEnd + alignment - 1) / alignment * alignment
        let fileSize = bytes.count
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(raw.count)
        for t in raw {
            guard t.offset % UInt64(alignment) == 0 else {
                throw GGUFError(.misalignedTensorOffset, file: file, tensor: t.name,
                                "data offset \(t.offset) is not a multiple of the alignment \(alignment)")
            }
            let start = UInt64(dataStart).addingReportingOverflow(t.offset)
            let end = start.partialValue.addingReportingOverflow(UInt64(t.bytes))
            guard !start.overflow, !end.overflow, end.partialValue <= UInt64(fileSize) else {
                throw GGUFError(.tensorPastEndOfFile, file: file, tensor: t.name,
                                "data [\(dataStart) + \(t.offset), +\(t.bytes) bytes) ends past the end of the file (size \(fileSize))")
            }
            tensors.append(GGUFTensorInfo(name: t.name, dimensions: t.dims, type: t.type, offset: Int(t.offset),
                                          fileOffset: Int(start.partialValue), byteCount: t.bytes,
                                          elementCount: t.elements))
        }
        try checkOverlaps(tensors, file: file)
        return GGUFParsedHeader(version: version, metadata: metadata, alignment: alignment,
                                dataSectionOffset: dataStart, tensors: tensors)
    }

    static func readAlignment(_ metadata: GGUFMetadata, file: String) throws -> Int {
        let key = "general.alignment"
        guard let value = metadata[key] else { return defaultAlignment }
        guard let a = value.intValue else {
            throw GGUFError(.invalidAlignment, file: file, key: key, "alignment must be an integer, found \(value.typeDescription)")
        }
        guard a > 0, a & (a - 1) == 0, a <= 1 << 30 else {
            throw GGUFError(.invalidAlignment, file: file, key: key, "alignment \(a) is not a power of two (or is absurdly large)")
        }
        return a
    }

    static func checkOverlaps(_ tensors: [GGUFTensorInfo], file: String) throws {
        let sorted = tensors.filter { $0.byteCount > 0 }.sorted { $0.fileOffset < $1.fileOffset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.fileOffset < a.fileOffset + a.byteCount {
            throw GGUFError(.overlappingTensors, file: file, tensor: b.name,
                            "data \(b.fileRange) overlaps tensor '\(a.name)' at \(a.fileRange)")
        }
    }
}

extension String {
    /// Two-digit lowercase hex of a byte.
    init(format2 byte: UInt8) {
        let s = String(byte, radix: 16)
        self = s.count == 1 ? "0" + s : s
    }
}
