#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// One open safetensors file: its validated header, and read-only memory maps of the byte ranges
/// a process asked for (`map(ranges:)`); nothing outside those ranges is ever read or paged in.
///
/// Immutable once mapped; `@unchecked Sendable` because the maps are read-only memory.
public final class SafetensorsFile: @unchecked Sendable {
    public let path: String
    public let header: SafetensorsHeader
    public let fileSize: Int
    private let descriptor: Int32
    /// Mapped regions, sorted by file offset, disjoint.
    public private(set) var regions: [SafetensorsMappedRegion] = []

    /// Opens `url` and validates its header (reads only the first `8 + header length` bytes).
    public init(url: URL) throws {
        path = url.path
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { throw ModelError.missingFile(path: url.path, reason: "no such file") }
            throw ModelError.io(path: url.path, reason: String(cString: strerror(code)))
        }
        do {
            (fileSize, header) = try Self.readHeader(descriptor, path: url.path)
        } catch {
            close(descriptor)
            throw error
        }
        self.descriptor = descriptor
    }

    private static func readHeader(_ descriptor: Int32, path: String) throws -> (Int, SafetensorsHeader) {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw ModelError.io(path: path, reason: String(cString: strerror(errno)))
        }
        let fileSize = Int(info.st_size)
        var prefix = [UInt8](repeating: 0, count: 8)
        let got = try readFully(descriptor, into: &prefix, at: 0, path: path)
        let length = try prefix.withUnsafeBytes {
            try SafetensorsHeader.headerLength(prefix: UnsafeRawBufferPointer(rebasing: $0[0..<got]), fileSize: fileSize, path: path)
        }
        var json = [UInt8](repeating: 0, count: length)
        guard try readFully(descriptor, into: &json, at: 8, path: path) == length else {
            throw ModelError.invalidSafetensors(path: path, reason: "file ended inside the header")
        }
        return (fileSize, try SafetensorsHeader(json: Data(json), fileSize: fileSize, path: path))
    }

    deinit {
        close(descriptor)
    }

    /// Maps the given byte ranges of the data region (relative offsets), merging ranges that
    /// touch or are closer than `mergeGap` bytes (0: map exactly what is asked). Replaces earlier maps.
    public func map(ranges: [Range<Int>], mergeGap: Int = 0) throws {
        let sorted = ranges.filter { !$0.isEmpty }.sorted { $0.lowerBound < $1.lowerBound }
        var merged: [Range<Int>] = []
        for range in sorted {
            if let last = merged.last, range.lowerBound <= last.upperBound + mergeGap {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        var mapped: [SafetensorsMappedRegion] = []
        for range in merged {
            mapped.append(try SafetensorsMappedRegion(
                descriptor: descriptor, path: path,
                fileRange: (header.dataOffset + range.lowerBound)..<(header.dataOffset + range.upperBound)))
        }
        regions = mapped
    }

    /// Bytes of this file currently mapped.
    public var mappedBytes: Int { regions.reduce(0) { $0 + $1.length } }

    /// The mapped bytes `start..<start+count` of the data region, nil when not mapped.
    public func bytes(dataStart start: Int, count: Int) -> UnsafeRawBufferPointer? {
        let fileStart = header.dataOffset + start
        var low = 0, high = regions.count
        while low < high {
            let mid = (low + high) / 2
            if regions[mid].fileEnd <= fileStart { low = mid + 1 } else { high = mid }
        }
        guard low < regions.count else { return count == 0 ? UnsafeRawBufferPointer(start: nil, count: 0) : nil }
        return regions[low].bytes(fileOffset: fileStart, count: count)
    }

    private static func readFully(_ descriptor: Int32, into buffer: inout [UInt8], at offset: Int, path: String) throws -> Int {
        var done = 0
        let total = buffer.count
        while done < total {
            let got = buffer.withUnsafeMutableBytes { raw in
                pread(descriptor, raw.baseAddress! + done, total - done, off_t(offset + done))
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw ModelError.io(path: path, reason: String(cString: strerror(errno)))
            }
            if got == 0 { break }
            done += got
        }
        return done
    }
}
