#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only, private memory map of one byte range of a file; unmapped on deinit.
///
/// Mapping does not read: pages are faulted in only when a tensor's bytes are converted.
public final class SafetensorsMappedRegion: @unchecked Sendable {
    /// First and one-past-last file offsets the caller asked for.
    public let fileStart: Int
    public let fileEnd: Int
    private let mapBase: UnsafeMutableRawPointer
    private let mapLength: Int
    private let pageSlack: Int

    init(descriptor: Int32, path: String, fileRange: Range<Int>) throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let alignedStart = fileRange.lowerBound / page * page
        pageSlack = fileRange.lowerBound - alignedStart
        mapLength = fileRange.upperBound - alignedStart
        fileStart = fileRange.lowerBound
        fileEnd = fileRange.upperBound
        let pointer = mmap(nil, mapLength, PROT_READ, MAP_PRIVATE, descriptor, off_t(alignedStart))
        guard let pointer, pointer != MAP_FAILED else {
            throw ModelError.io(path: path, reason: "mmap of \(mapLength) bytes at \(alignedStart) failed: \(String(cString: strerror(errno)))")
        }
        mapBase = pointer
    }

    deinit {
        munmap(mapBase, mapLength)
    }

    /// Bytes mapped (the requested range, without page-alignment slack).
    public var length: Int { fileEnd - fileStart }

    /// The bytes at `fileOffset..<fileOffset+count`, nil unless wholly inside this region.
    func bytes(fileOffset: Int, count: Int) -> UnsafeRawBufferPointer? {
        guard fileOffset >= fileStart, fileOffset + count <= fileEnd else { return nil }
        return UnsafeRawBufferPointer(start: mapBase + pageSlack + (fileOffset - fileStart), count: count)
    }
}
