import Foundation
import SwitchyardTensor

/// The parsed and validated header of one safetensors file (pure: bytes in, entries out).
///
/// Layout: an 8-byte little-endian header length `n`, `n` bytes of JSON mapping each tensor name
/// to `{dtype, shape, data_offsets: [begin, end]}` (plus an optional `__metadata__` string map),
/// then the data region that the offsets index.
public struct SafetensorsHeader: Sendable {
    /// The largest header accepted (the reference implementation's limit).
    public static let maxHeaderLength = 100 << 20

    /// Tensors sorted by `dataStart`.
    public var tensors: [SafetensorsTensorInfo]
    /// The `__metadata__` entries.
    public var metadata: [String: String]
    /// Bytes before the data region: 8 + header length.
    public var dataOffset: Int
    /// Bytes in the data region.
    public var dataLength: Int

    /// Parses the header length field. `fileSize` bounds it; `path` names the file in errors.
    public static func headerLength(prefix: UnsafeRawBufferPointer, fileSize: Int, path: String) throws -> Int {
        guard fileSize >= 8, prefix.count >= 8 else {
            throw ModelError.invalidSafetensors(path: path, reason: "file is \(fileSize) bytes, too short for the 8-byte header length")
        }
        let raw = UInt64(littleEndian: prefix.loadUnaligned(as: UInt64.self))
        guard raw <= UInt64(maxHeaderLength) else {
            throw ModelError.invalidSafetensors(path: path, reason: "header length \(raw) exceeds the \(maxHeaderLength)-byte limit")
        }
        let length = Int(raw)
        guard 8 + length <= fileSize else {
            throw ModelError.invalidSafetensors(path: path, reason: "header length \(length) runs past the end of the file (\(fileSize) bytes; truncated?)")
        }
        guard length >= 2 else {
            throw ModelError.invalidSafetensors(path: path, reason: "header length \(length) is too short for a JSON object")
        }
        return length
    }

    /// Parses and validates the JSON header against a file of `fileSize` bytes.
    public init(json: Data, fileSize: Int, path: String) throws {
        let value: ConfigJSON
        do {
            value = try JSONDecoder().decode(ConfigJSON.self, from: json)
        } catch {
            throw ModelError.invalidSafetensors(path: path, reason: "header is not valid JSON (\(error))")
        }
        guard case let .object(entries) = value else {
            throw ModelError.invalidSafetensors(path: path, reason: "header is not a JSON object")
        }
        dataOffset = 8 + json.count
        dataLength = fileSize - dataOffset
        metadata = [:]
        var tensors: [SafetensorsTensorInfo] = []
        tensors.reserveCapacity(entries.count)
        for (name, entry) in entries {
            if name == "__metadata__" {
                metadata = try Self.parseMetadata(entry, path: path)
                continue
            }
            tensors.append(try Self.parseTensor(name: name, entry: entry, dataLength: dataLength, path: path))
        }
        tensors.sort { ($0.dataStart, $0.dataEnd, $0.name) < ($1.dataStart, $1.dataEnd, $1.name) }
        var previous: SafetensorsTensorInfo?
        for tensor in tensors where tensor.byteCount > 0 {
            if let previous, previous.dataEnd > tensor.dataStart {
                throw ModelError.invalidTensor(path: path, tensor: tensor.name,
                    reason: "data_offsets [\(tensor.dataStart), \(tensor.dataEnd)] overlap tensor \"\(previous.name)\" [\(previous.dataStart), \(previous.dataEnd)]")
            }
            previous = tensor
        }
        self.tensors = tensors
    }

    private static func parseMetadata(_ entry: ConfigJSON, path: String) throws -> [String: String] {
        guard case let .object(fields) = entry else {
            throw ModelError.invalidSafetensors(path: path, reason: "__metadata__ is not an object")
        }
        var result: [String: String] = [:]
        for (key, value) in fields {
            guard case let .string(text) = value else {
                throw ModelError.invalidSafetensors(path: path, reason: "__metadata__ value for \"\(key)\" is not a string")
            }
            result[key] = text
        }
        return result
    }

    private static func parseTensor(name: String, entry: ConfigJSON, dataLength: Int, path: String) throws -> SafetensorsTensorInfo {
        func fail(_ reason: String) -> ModelError { .invalidTensor(path: path, tensor: name, reason: reason) }
        guard case let .object(fields) = entry else { throw fail("entry is not an object") }
        guard case let .string(dtypeName)? = fields["dtype"] else { throw fail("missing or non-string \"dtype\"") }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw ModelError.unsupportedDType(path: path, tensor: name, dtype: dtypeName)
        }
        guard case let .array(shapeValues)? = fields["shape"] else { throw fail("missing or non-list \"shape\"") }
        var shape: [Int] = []
        var elements = 1
        for value in shapeValues {
            guard case let .number(number) = value, number >= 0, number == number.rounded(), number < 1e15 else {
                throw fail("shape entry \(value.brief) is not a non-negative integer")
            }
            let dimension = Int(number)
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard !overflow, product < 1 << 50 else { throw fail("shape \(shapeValues.map(\.brief)) is too large") }
            elements = product
            shape.append(dimension)
        }
        guard case let .array(offsetValues)? = fields["data_offsets"], offsetValues.count == 2,
              case let .number(begin) = offsetValues[0], case let .number(end) = offsetValues[1],
              begin >= 0, end >= 0, begin == begin.rounded(), end == end.rounded(), begin < 1e15, end < 1e15
        else { throw fail("\"data_offsets\" must be two non-negative integers [begin, end]") }
        let start = Int(begin), stop = Int(end)
        guard start <= stop else { throw fail("data_offsets [\(start), \(stop)] end before they begin") }
        guard stop <= dataLength else {
            throw fail("data_offsets [\(start), \(stop)] run past the end of the data region (\(dataLength) bytes; truncated file?)")
        }
        let expected = elements * dtype.byteSize
        guard stop - start == expected else {
            throw fail("shape \(shape) of \(dtype.rawValue) needs \(expected) bytes but data_offsets [\(start), \(stop)] span \(stop - start)")
        }
        return SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape, dataStart: start, dataEnd: stop)
    }
}
