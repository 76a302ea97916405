#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only, private memory mapping of a whole file or of one byte range of it.
///
/// For a sub-range the mapping starts at the enclosing page boundary (mmap offsets
/// must be page aligned); `bytes` points exactly at the requested range. The
/// mapping is released when the region is deallocated, so keep the region alive
/// while using `bytes`.
public final class GGUFMappedRegion: @unchecked Sendable {
    // @unchecked: the mapping is PROT_READ and never mutated after init.

    /// Path of the mapped file.
    public let path: String
    /// Size of the whole file in bytes.
    public let fileSize: Int
    /// The byte range of the file that `bytes` covers.
    public let fileRange: Range<Int>
    /// The requested bytes, read only.
    public let bytes: UnsafeRawBufferPointer

    private let base: UnsafeMutableRawPointer?
    private let mappedLength: Int

    /// Maps `fileRange` of the file at `path` (the whole file when nil).
    public init(path: String, fileRange requested: Range<Int>? = nil) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw GGUFError(.cannotOpen, file: path, "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw GGUFError(.cannotOpen, file: path, "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw GGUFError(.cannotOpen, file: path, "not a regular file")
        }
        let size = Int(st.st_size)
        fileSize = size
        let range = requested ?? 0 ..< size
        guard range.lowerBound >= 0, range.upperBound <= size else {
            throw GGUFError(.indexOutOfRange, file: path,
                            "byte range \(range) is outside the file (size \(size))")
        }
        fileRange = range
        guard !range.isEmpty else {
            base = nil
            mappedLength = 0
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let alignedStart = range.lowerBound - range.lowerBound % page
        let length = range.upperBound - alignedStart
        let p = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, off_t(alignedStart))
        guard let p, p != MAP_FAILED else {
            throw GGUFError(.mmapFailed, file: path,
                            "mmap of bytes \(range) failed: \(String(cString: strerror(errno)))")
        }
        base = p
        mappedLength = length
        bytes = UnsafeRawBufferPointer(start: p + (range.lowerBound - alignedStart), count: range.count)
    }

    /// Lets go of the pages this process has read (`MADV_DONTNEED`), after the bytes were copied: they
    /// stop counting in its RSS and stay in the page cache, so a later read faults them back in with
    /// the same bytes (the mapping is private and never written).
    public func dropResidentPages() {
        if let base { _ = madvise(base, mappedLength, Int32(MADV_DONTNEED)) }
    }

    deinit {
        if let base { munmap(base, mappedLength) }
    }
}
