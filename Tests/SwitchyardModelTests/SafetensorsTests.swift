import SwitchyardTools
import Foundation
import SwitchyardTensor
import Testing
import TestSupport
@testable import SwitchyardModel

/// Writes a safetensors file byte by byte, so tests can break it in every way.
func writeRawSafetensors(_ url: URL, header: String, dataBytes: Int, declaredLength: UInt64? = nil, truncateTo: Int? = nil) throws {
    var bytes = [UInt8]()
    var json = Array(header.utf8)
    while json.count % 8 != 0 { json.append(0x20) }
    var length = (declaredLength ?? UInt64(json.count)).littleEndian
    withUnsafeBytes(of: &length) { bytes.append(contentsOf: $0) }
    bytes.append(contentsOf: json)
    bytes.append(contentsOf: (0..<dataBytes).map { UInt8(truncatingIfNeeded: $0) })
    if let truncateTo { bytes = Array(bytes.prefix(truncateTo)) }
    try Data(bytes).write(to: url)
}

@Suite("Safetensors reader")
struct SafetensorsTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
    }

    func open(_ header: String, dataBytes: Int, declaredLength: UInt64? = nil, truncateTo: Int? = nil) throws -> SafetensorsFile {
        let url = directory.url.appendingPathComponent("t.safetensors")
        try writeRawSafetensors(url, header: header, dataBytes: dataBytes, declaredLength: declaredLength, truncateTo: truncateTo)
        return try SafetensorsFile(url: url)
    }

    func failure(_ header: String, dataBytes: Int, declaredLength: UInt64? = nil, truncateTo: Int? = nil) -> ModelError? {
        do {
            _ = try open(header, dataBytes: dataBytes, declaredLength: declaredLength, truncateTo: truncateTo)
            return nil
        } catch let error as ModelError {
            return error
        } catch {
            return .io(path: "", reason: "unexpected \(error)")
        }
    }

    @Test func readsAValidFileAndMapsOnlyRequestedRanges() throws {
        let file = try open(#"{"__metadata__": {"format": "pt"}, "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, "b": {"dtype": "BF16", "shape": [4], "data_offsets": [24, 32]}}"#, dataBytes: 32)
        #expect(file.header.metadata == ["format": "pt"])
        #expect(file.header.tensors.map(\.name) == ["a", "b"])
        #expect(file.header.tensors[1].dtype == .bf16 && file.header.tensors[1].shape == [4])
        #expect(file.mappedBytes == 0)
        try file.map(ranges: [24..<32])
        #expect(file.mappedBytes == 8)
        #expect(file.bytes(dataStart: 24, count: 8)?.count == 8)
        #expect(file.bytes(dataStart: 0, count: 24) == nil)
        #expect(file.bytes(dataStart: 24, count: 8)?.first == 24)
    }

    @Test func headerLengthPastEndOfFile() {
        let error = failure(#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, dataBytes: 4, declaredLength: 1000)
        #expect(String(describing: error!).contains("runs past the end of the file"))
        #expect(String(describing: error!).contains("t.safetensors"))
    }

    @Test func fileShorterThanTheLengthField() {
        let error = failure("{}", dataBytes: 0, truncateTo: 5)
        #expect(String(describing: error!).contains("too short"))
    }

    @Test func hugeDeclaredHeaderLength() {
        let error = failure("{}", dataBytes: 0, declaredLength: UInt64.max)
        #expect(String(describing: error!).contains("exceeds"))
    }

    @Test func truncatedDataRegionNamesTheTensor() {
        let error = failure(#"{"w": {"dtype": "F32", "shape": [4, 4], "data_offsets": [0, 64]}}"#, dataBytes: 40)
        guard case let .invalidTensor(path, tensor, reason)? = error else {
            Issue.record("expected invalidTensor, got \(String(describing: error))")
            return
        }
        #expect(path.hasSuffix("t.safetensors") && tensor == "w" && reason.contains("truncated"))
    }

    @Test func overlappingOffsets() {
        let error = failure(#"{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}, "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}"#, dataBytes: 24)
        guard case let .invalidTensor(_, tensor, reason)? = error else {
            Issue.record("expected invalidTensor, got \(String(describing: error))")
            return
        }
        #expect(tensor == "b" && reason.contains("overlap") && reason.contains("\"a\""))
    }

    @Test func unknownDType() {
        let error = failure(#"{"a": {"dtype": "Q4", "shape": [4], "data_offsets": [0, 2]}}"#, dataBytes: 2)
        #expect(error == .unsupportedDType(path: directory.url.appendingPathComponent("t.safetensors").path, tensor: "a", dtype: "Q4"))
        #expect(String(describing: error!).contains("F32, BF16, F16"))
    }

    @Test func shapeAndLengthMismatch() {
        let error = failure(#"{"a": {"dtype": "BF16", "shape": [3, 3], "data_offsets": [0, 16]}}"#, dataBytes: 16)
        guard case let .invalidTensor(_, tensor, reason)? = error else {
            Issue.record("expected invalidTensor, got \(String(describing: error))")
            return
        }
        #expect(tensor == "a" && reason.contains("needs 18 bytes") && reason.contains("span 16"))
    }

    @Test(arguments: [
        (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}"#, "end before"),
        (#"{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#, "non-negative"),
        (#"{"a": {"dtype": "F32", "shape": [1]}}"#, "data_offsets"),
        (#"{"a": {"shape": [1], "data_offsets": [0, 4]}}"#, "dtype"),
        (#"{"a": 5}"#, "not an object"),
        (#"[1, 2]"#, "not a JSON object"),
        (#"{"a": {"dtype": "F32""#, "not valid JSON"),
        (#"{"__metadata__": {"x": 1}}"#, "__metadata__"),
        (#"{"a": {"dtype": "F32", "shape": [1099511627776, 1099511627776], "data_offsets": [0, 4]}}"#, "too large"),
    ])
    func malformedHeaders(header: String, expected: String) {
        let error = failure(header, dataBytes: 8)
        #expect(error != nil && String(describing: error!).contains(expected), "got \(String(describing: error))")
    }

    @Test func missingFile() {
        #expect(throws: ModelError.self) { try SafetensorsFile(url: directory.url.appendingPathComponent("nope.safetensors")) }
    }

    @Test func writerOutputRoundTripsThroughTheReader() throws {
        let url = directory.url.appendingPathComponent("w.safetensors")
        let tensors = [TensorSpec(name: "x", shape: [3, 5]), TensorSpec(name: "y\"quoted\"", shape: [7]), TensorSpec(name: "z", shape: [0])]
        for dtype in DType.allCases {
            try SafetensorsWriter.write(to: url, tensors: tensors, dtype: dtype, metadata: ["format": "pt"]) { index, offset, chunk in
                for i in 0..<chunk.count { chunk[i] = Float(index * 100 + offset + i) }
            }
            let file = try SafetensorsFile(url: url)
            #expect(file.header.dataOffset % 8 == 0)
            #expect(Set(file.header.tensors.map(\.name)) == Set(tensors.map(\.name)))
            try file.map(ranges: file.header.tensors.map { $0.dataStart..<$0.dataEnd })
            let y = try #require(file.header.tensors.first { $0.name == "y\"quoted\"" })
            var values = [Float](repeating: 0, count: 7)
            values.withUnsafeMutableBufferPointer {
                DTypeConversion.toF32(dtype, file.bytes(dataStart: y.dataStart, count: y.byteCount)!, $0.baseAddress!, count: 7)
            }
            #expect(values == (100..<107).map(Float.init))
        }
    }
}
