import SwitchyardModel
import SwitchyardTokenizer
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import SwitchyardTensor

/// Streams tensors into one safetensors file: the header first (sizes are known up front), then
/// each tensor's values as a producer fills them, chunk by chunk, so writing gigabytes needs only a
/// few megabytes of memory.
public enum SafetensorsWriter {
    /// Floats produced per chunk.
    public static let chunkElements = 1 << 20

    /// The header JSON (padded with spaces to a multiple of 8 bytes) for `tensors` stored as `dtype`
    /// back to back in order, and the data offsets it assigns.
    public static func header(tensors: [TensorSpec], dtype: DType, metadata: [String: String] = [:]) -> (json: [UInt8], offsets: [Range<Int>]) {
        var parts: [String] = []
        var offsets: [Range<Int>] = []
        var offset = 0
        if !metadata.isEmpty {
            let fields = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            parts.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
        }
        for tensor in tensors {
            let bytes = tensor.elementCount * dtype.byteSize
            offsets.append(offset..<(offset + bytes))
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            parts.append("\(jsonString(tensor.name)):{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        var json = Array("{\(parts.joined(separator: ","))}".utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        return (json, offsets)
    }

    /// Writes `tensors` to `url` as `dtype`. `produce(index, elementOffset, chunk)` fills `chunk`
    /// with elements `elementOffset..<elementOffset+chunk.count` of tensor `index`, in f32.
    public static func write(
        to url: URL, tensors: [TensorSpec], dtype: DType, metadata: [String: String] = [:],
        produce: (_ index: Int, _ elementOffset: Int, _ chunk: UnsafeMutableBufferPointer<Float>) throws -> Void
    ) throws {
        let (json, _) = header(tensors: tensors, dtype: dtype, metadata: metadata)
        let output = try FileOutput(url: url)
        var length = UInt64(json.count).littleEndian
        try withUnsafeBytes(of: &length) { try output.write($0) }
        try json.withUnsafeBytes { try output.write($0) }
        let floats = UnsafeMutableBufferPointer<Float>.allocate(capacity: chunkElements)
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkElements * 4, alignment: 64)
        defer {
            floats.deallocate()
            bytes.deallocate()
        }
        for (index, tensor) in tensors.enumerated() {
            var done = 0
            let total = tensor.elementCount
            while done < total {
                let count = min(chunkElements, total - done)
                let chunk = UnsafeMutableBufferPointer(rebasing: floats[0..<count])
                try produce(index, done, chunk)
                DTypeConversion.fromF32(dtype, floats.baseAddress!, bytes.baseAddress!, count: count)
                try output.write(UnsafeRawBufferPointer(rebasing: bytes[0..<(count * dtype.byteSize)]))
                done += count
            }
        }
        try output.close()
    }

    static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 {
                    result += String(format: "\\u%04x", scalar.value)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}

/// A file written sequentially with POSIX calls through a 4 MiB buffer.
final class FileOutput {
    private let path: String
    private var descriptor: Int32
    private var buffer: UnsafeMutableRawBufferPointer
    private var used = 0

    init(url: URL) throws {
        path = url.path
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw ModelError.io(path: path, reason: "cannot create: \(String(cString: strerror(errno)))")
        }
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 64)
    }

    deinit {
        if descriptor >= 0 { Glibc.close(descriptor) }
        buffer.deallocate()
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let count = min(buffer.count - used, bytes.count - offset)
            (buffer.baseAddress! + used).copyMemory(from: bytes.baseAddress! + offset, byteCount: count)
            used += count
            offset += count
            if used == buffer.count { try flush() }
        }
    }

    func flush() throws {
        var done = 0
        while done < used {
            let wrote = Glibc.write(descriptor, buffer.baseAddress! + done, used - done)
            if wrote < 0 {
                if errno == EINTR { continue }
                throw ModelError.io(path: path, reason: "write failed: \(String(cString: strerror(errno)))")
            }
            done += wrote
        }
        used = 0
    }

    func close() throws {
        try flush()
        let result = Glibc.close(descriptor)
        descriptor = -1
        guard result == 0 else {
            throw ModelError.io(path: path, reason: "close failed: \(String(cString: strerror(errno)))")
        }
    }
}
