import CZeroMQ
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A message channel between two processes on one host: two single-producer single-consumer rings
/// of records in one shared-memory file (one ring each way), and a doorbell per direction, which
/// the receiver polls (`Reactor.watch(fd:)`).
///
/// It exists for speed: a record goes from the sending thread straight into the peer's memory and
/// one write on the doorbell wakes the peer's poll loop, where a ZeroMQ message crosses four threads
/// (sender, its I/O thread, the peer's I/O thread, the peer's poller). Nothing else changes: what
/// travels are the same wire frames, decoded and checked by the same code.
///
/// The *creator* makes the file and the FIFOs (0600, under `/dev/shm` when it exists) and tells
/// the peer their path and a random token over an authenticated channel; the *opener* maps them
/// and checks magic, version, size and token, so a peer on another host (no such file, or another
/// file of that name) never uses a lane. Once both hold the mapping, the creator `unlink`s the
/// paths; the memory lives until both sides are done with it.
///
/// Doorbells: the creator also makes an eventfd per direction and writes its pid and their numbers
/// in the header; the opener copies them (`pidfd_getfd`) when the kernel lets it (Linux 5.6+, and
/// ptrace access to the creator: same user, and under Yama's default an ancestor), and otherwise
/// opens the named FIFOs. Both work the same way; eventfds wake the peer faster on a busy host: a
/// FIFO write is a "synchronous" wake-up, which asks the scheduler to run the woken thread on the
/// writer's core (it expects the writer to sleep next), and a router that rings two workers in a row
/// then waits for the first to leave its core before it can ring the second. The opener records in
/// the header which kind it holds; the creator, which polls both, rings that kind.
///
/// A lane never blocks: `send` answers `.full` when the peer has not read enough (it is slow or
/// dead) and `.tooLarge` for a record the ring cannot hold; the caller sends those another way.
/// A record the receiver finds malformed (a peer bug) throws `SharedMemoryLaneError.corrupt`; the
/// receiver stops using the lane.
///
/// `send` and `receive` may be called from any thread (each direction is serialized by a lock).
public final class SharedMemoryLane: @unchecked Sendable {
    // Safety of @unchecked Sendable: the mapping and descriptors are immutable after init; the
    // producer index of the outbound ring is written under `sendLock`, the consumer index of the
    // inbound ring under `receiveLock`; the peer's indices are read with acquire loads.

    /// Where the lane's files are (the creator unlinks them once the peer has mapped them).
    public let path: String
    /// The random token the opener must present.
    public let token: [UInt8]
    /// Bytes each ring holds.
    public let capacity: Int
    /// The descriptors to poll for POLLIN: one is readable when the peer has rung (records may be
    /// waiting). The creator polls both kinds of doorbell until it knows which the opener holds.
    public var readableFDs: [Int32] { inboundBells }

    /// What kind of doorbell carries wake-ups between the two sides.
    public enum DoorbellKind: String, Sendable {
        /// Eventfds the opener copied from the creator: wake-ups that do not pull the woken thread
        /// onto the ringing thread's core.
        case eventfd
        /// The named FIFOs (the opener could not copy the creator's eventfds).
        case fifo
    }

    /// Which doorbells the two sides use: the opener's choice (the creator reads it from the
    /// header; `.fifo` until a peer opened the lane).
    public var doorbellKind: DoorbellKind {
        switchyard_load_acquire_u64(base + Self.openerKindOffset) == Self.openerUsesEventfds ? .eventfd : .fifo
    }

    private let base: UnsafeMutableRawPointer
    private let mappedBytes: Int
    private let outbound: Ring
    private let inbound: Ring
    /// Polled and drained: the creator's FIFO and eventfd; the opener's one doorbell.
    private let inboundBells: [Int32]
    /// The peer's doorbells this side may ring (-1 when it holds none of that kind).
    private let outboundFIFO: Int32
    private let outboundEventfd: Int32
    private let sendLock = Mutex<Void>(())
    private let receiveLock = Mutex<Void>(())
    private let isCreator: Bool

    /// Header page: magic, version, token, capacity, the creator's pid and eventfd numbers, the
    /// opener's doorbell kind; then the four ring indices on their own cache lines.
    static let headerBytes = 4096
    static let creatorPIDOffset = 40
    static let eventfdToCreatorOffset = 44
    static let eventfdToOpenerOffset = 48
    /// A UInt64 the opener stores (release) before it sends anything: `openerUsesEventfds` or 0.
    static let openerKindOffset = 56
    static let openerUsesEventfds: UInt64 = 1
    static let magic: UInt64 = 0x3130_454E_414C_5953  // "SYLANE01" little-endian
    static let version: UInt32 = 1
    static let tokenBytes = 16
    static let maxParts = 16
    /// Largest ring either side accepts (a corrupt header must not map terabytes).
    public static let maxCapacity = 1 << 30
    /// The marker that sends the reader back to the start of the ring.
    static let wrapMarker = UInt64.max

    /// A ring's view: its data and the shared producer (`head`) and consumer (`tail`) byte counts.
    struct Ring {
        let data: UnsafeMutableRawPointer
        let head: UnsafeMutableRawPointer
        let tail: UnsafeMutableRawPointer
        let capacity: Int
    }

    /// What `send` did.
    public enum SendResult: Sendable, Equatable {
        case sent
        /// The peer has not read enough of the ring: send another way (or later).
        case full
        /// The record does not fit in the ring even when it is empty.
        case tooLarge
    }

    // MARK: Making and opening

    /// Creates a lane file and its two FIFOs in `directory` (default: `/dev/shm` if it is a
    /// writable directory, else `$TMPDIR` or `/tmp`), each ring holding `capacity` bytes.
    public static func create(capacity: Int, directory: String? = nil) throws(SharedMemoryLaneError) -> SharedMemoryLane {
        let capacity = (max(capacity, 4096) + 4095) / 4096 * 4096
        guard capacity <= maxCapacity else { throw .invalid("ring capacity \(capacity) exceeds \(maxCapacity) bytes") }
        let directory = directory ?? defaultDirectory()
        var token = [UInt8](repeating: 0, count: tokenBytes)
        for index in token.indices { token[index] = UInt8.random(in: 0...255) }
        let suffix = token.prefix(6).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        let path = "\(directory)/switchyard-lane-\(getpid())-\(suffix)"
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system("create \(path)", errno) }
        defer { close(fd) }
        let total = headerBytes + 2 * capacity
        guard ftruncate(fd, off_t(total)) == 0 else {
            let code = errno
            Glibc.unlink(path)
            throw .system("size \(path)", code)
        }
        for bell in [bellPath(path, toCreator: true), bellPath(path, toCreator: false)] {
            guard mkfifo(bell, 0o600) == 0 else {
                let code = errno
                removeFiles(path)
                throw .system("create \(bell)", code)
            }
        }
        do {
            let lane = try SharedMemoryLane(path: path, token: token, fd: fd, total: total, creator: true, initialize: capacity)
            return lane
        } catch {
            removeFiles(path)
            throw error
        }
    }

    /// Maps the lane another process created at `path`, checking that it is one (magic, version,
    /// sizes) and that `token` matches. Fails, with the reason, when the file is elsewhere (the
    /// peer is on another host) or is not the peer's.
    ///
    /// `eventfdDoorbells` false opens the FIFOs even where the creator's eventfds could be copied
    /// (tests of the fallback).
    public static func open(path: String, token: [UInt8], eventfdDoorbells: Bool = true) throws(SharedMemoryLaneError) -> SharedMemoryLane {
        guard token.count == tokenBytes else { throw .invalid("token has \(token.count) bytes, expected \(tokenBytes)") }
        // O_NONBLOCK: a path naming a FIFO or a device must not hang the caller; fstat rejects it next.
        let fd = Glibc.open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { throw .system("open \(path)", errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .system("stat \(path)", errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG, info.st_uid == getuid() else {
            throw .invalid("\(path) is not a regular file of this user")
        }
        let total = Int(info.st_size)
        guard total >= headerBytes + 2 * 4096, total <= headerBytes + 2 * maxCapacity else {
            throw .invalid("\(path) has \(total) bytes: not a lane")
        }
        return try SharedMemoryLane(path: path, token: token, fd: fd, total: total, creator: false, initialize: nil,
                                    eventfdDoorbells: eventfdDoorbells)
    }

    private init(path: String, token: [UInt8], fd: Int32, total: Int, creator: Bool, initialize capacity: Int?,
                 eventfdDoorbells: Bool = true) throws(SharedMemoryLaneError) {
        guard let mapped = mmap(nil, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), mapped != MAP_FAILED else {
            throw .system("map \(path)", errno)
        }
        let header = mapped
        if let capacity {
            header.storeBytes(of: Self.magic, toByteOffset: 0, as: UInt64.self)
            header.storeBytes(of: Self.version, toByteOffset: 8, as: UInt32.self)
            for (index, byte) in token.enumerated() { header.storeBytes(of: byte, toByteOffset: 16 + index, as: UInt8.self) }
            header.storeBytes(of: UInt64(capacity), toByteOffset: 32, as: UInt64.self)
        } else {
            let magic = header.load(fromByteOffset: 0, as: UInt64.self)
            let version = header.load(fromByteOffset: 8, as: UInt32.self)
            let stored = (0..<Self.tokenBytes).map { header.load(fromByteOffset: 16 + $0, as: UInt8.self) }
            let capacity = Int(clamping: header.load(fromByteOffset: 32, as: UInt64.self))
            var problem: String?
            if magic != Self.magic { problem = "not a lane (bad magic)" }
            else if version != Self.version { problem = "lane version \(version), this build speaks \(Self.version)" }
            else if stored != token { problem = "token does not match: another process's lane" }
            else if capacity % 4096 != 0 || Self.headerBytes + 2 * capacity != total { problem = "ring capacity \(capacity) does not match the file size \(total)" }
            if let problem {
                munmap(mapped, total)
                throw .invalid("\(path): \(problem)")
            }
        }
        let capacity = Int(header.load(fromByteOffset: 32, as: UInt64.self))
        let toOpener = Ring(data: header + Self.headerBytes, head: header + 128, tail: header + 192, capacity: capacity)
        let toCreator = Ring(data: header + Self.headerBytes + capacity, head: header + 256, tail: header + 320, capacity: capacity)
        if creator {
            let toCreator = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
            let toOpener = toCreator >= 0 ? eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)) : -1
            let fifos: (inbound: Int32, outbound: Int32)
            do {
                fifos = try Self.openFIFOs(path, creator: true)
            } catch {
                for bell in [toCreator, toOpener] where bell >= 0 { close(bell) }
                munmap(mapped, total)
                throw error
            }
            header.storeBytes(of: getpid(), toByteOffset: Self.creatorPIDOffset, as: Int32.self)
            header.storeBytes(of: toOpener >= 0 ? toCreator : -1, toByteOffset: Self.eventfdToCreatorOffset, as: Int32.self)
            header.storeBytes(of: toOpener, toByteOffset: Self.eventfdToOpenerOffset, as: Int32.self)
            switchyard_store_release_u64(header + Self.openerKindOffset, 0)
            if toOpener < 0, toCreator >= 0 { close(toCreator) }
            inboundBells = toOpener >= 0 ? [fifos.inbound, toCreator] : [fifos.inbound]
            outboundFIFO = fifos.outbound
            outboundEventfd = toOpener
        } else if eventfdDoorbells, let copied = Self.copyEventfds(header) {
            switchyard_store_release_u64(header + Self.openerKindOffset, Self.openerUsesEventfds)
            inboundBells = [copied.toOpener]
            outboundFIFO = -1
            outboundEventfd = copied.toCreator
        } else {
            let fifos: (inbound: Int32, outbound: Int32)
            do {
                fifos = try Self.openFIFOs(path, creator: false)
            } catch {
                munmap(mapped, total)
                throw error
            }
            switchyard_store_release_u64(header + Self.openerKindOffset, 0)
            inboundBells = [fifos.inbound]
            outboundFIFO = fifos.outbound
            outboundEventfd = -1
        }
        self.path = path
        self.token = token
        self.capacity = capacity
        self.base = mapped
        self.mappedBytes = total
        self.outbound = creator ? toOpener : toCreator
        self.inbound = creator ? toCreator : toOpener
        self.isCreator = creator
    }

    deinit {
        if isCreator { Self.removeFiles(path) }
        munmap(base, mappedBytes)
        for bell in inboundBells + [outboundFIFO, outboundEventfd] where bell >= 0 { close(bell) }
    }

    /// The two named FIFOs, checked to be FIFOs of this user: (the one this side polls, the peer's).
    private static func openFIFOs(_ path: String, creator: Bool) throws(SharedMemoryLaneError) -> (inbound: Int32, outbound: Int32) {
        // O_RDWR: a FIFO opened so never blocks and never reports a missing reader or writer;
        // liveness is the caller's business (heartbeats).
        let inbound = Glibc.open(bellPath(path, toCreator: creator), O_RDWR | O_NONBLOCK | O_CLOEXEC)
        let outbound = inbound >= 0 ? Glibc.open(bellPath(path, toCreator: !creator), O_RDWR | O_NONBLOCK | O_CLOEXEC) : -1
        guard inbound >= 0, outbound >= 0 else {
            let code = errno
            if inbound >= 0 { close(inbound) }
            throw .system("open the doorbells of \(path)", code)
        }
        for bell in [inbound, outbound] {
            var info = stat()
            guard fstat(bell, &info) == 0, (info.st_mode & S_IFMT) == S_IFIFO, info.st_uid == getuid() else {
                close(inbound)
                close(outbound)
                throw .invalid("the doorbells of \(path) are not FIFOs of this user")
            }
        }
        return (inbound, outbound)
    }

    /// The creator's eventfds, copied into this process; nil when the header names none, the
    /// kernel refuses (no `pidfd_getfd`, no ptrace access) or what it names is not an eventfd.
    private static func copyEventfds(_ header: UnsafeMutableRawPointer) -> (toCreator: Int32, toOpener: Int32)? {
        let pid = header.load(fromByteOffset: creatorPIDOffset, as: Int32.self)
        let toCreatorNumber = header.load(fromByteOffset: eventfdToCreatorOffset, as: Int32.self)
        let toOpenerNumber = header.load(fromByteOffset: eventfdToOpenerOffset, as: Int32.self)
        // Two numbers: one eventfd named for both directions would wake its own ringer.
        guard pid > 0, toCreatorNumber >= 0, toOpenerNumber >= 0, toCreatorNumber != toOpenerNumber else { return nil }
        let toCreator = switchyard_fd_of_process(pid, toCreatorNumber)
        let toOpener = toCreator >= 0 ? switchyard_fd_of_process(pid, toOpenerNumber) : -1
        guard toCreator >= 0, toOpener >= 0, isEventfd(toCreator), isEventfd(toOpener) else {
            for fd in [toCreator, toOpener] where fd >= 0 { close(fd) }
            return nil
        }
        return (toCreator, toOpener)
    }

    /// Whether `fd` is an eventfd: `/proc/self/fd` names those `anon_inode:[eventfd]`.
    static func isEventfd(_ fd: Int32) -> Bool {
        var target = [CChar](repeating: 0, count: 64)
        let count = readlink("/proc/self/fd/\(fd)", &target, target.count - 1)
        guard count > 0 else { return false }
        return String(decoding: target[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) == "anon_inode:[eventfd]"
    }

    /// Removes the lane's file and FIFOs from the file system; both sides keep what they mapped and
    /// opened. The creator calls it once the peer has opened the lane (or will not).
    public func unlink() {
        Self.removeFiles(path)
    }

    // MARK: Sending

    /// Appends one record of `parts` to the outbound ring and rings the peer's doorbell (unless
    /// `ringing` is false: the caller rings it with `ringDoorbell()` once it has written the records
    /// it has for other lanes too). Never blocks.
    public func send(_ parts: [UnsafeRawBufferPointer], ringing: Bool = true) -> SendResult {
        guard parts.count <= Self.maxParts else { return .tooLarge }
        let needed = Self.recordBytes(parts.map(\.count))
        guard needed <= outbound.capacity else { return .tooLarge }
        let result = sendLock.withLock { _ -> SendResult in
            let head = Int(outbound.head.load(as: UInt64.self))  // only this side writes it
            let tail = Int(switchyard_load_acquire_u64(outbound.tail))
            var free = outbound.capacity - (head - tail)
            var offset = head % outbound.capacity
            let toEnd = outbound.capacity - offset
            var start = head
            if toEnd < needed {
                guard free >= toEnd + needed else { return .full }
                outbound.data.storeBytes(of: Self.wrapMarker, toByteOffset: offset, as: UInt64.self)
                start += toEnd
                free -= toEnd
                offset = 0
            }
            guard free >= needed else { return .full }
            let record = outbound.data + offset
            record.storeBytes(of: UInt64(needed), as: UInt64.self)
            record.storeBytes(of: UInt64(parts.count), toByteOffset: 8, as: UInt64.self)
            var cursor = 16 + 8 * parts.count
            for (index, part) in parts.enumerated() {
                record.storeBytes(of: UInt64(part.count), toByteOffset: 16 + 8 * index, as: UInt64.self)
                if let source = part.baseAddress, part.count > 0 {
                    (record + cursor).copyMemory(from: source, byteCount: part.count)
                }
                cursor += Self.padded(part.count)
            }
            switchyard_store_release_u64(outbound.head, UInt64(start + needed))
            return .sent
        }
        if result == .sent && ringing { ringDoorbell() }
        return result
    }

    /// Wakes the peer: one count on its eventfd when the opener holds them, else one byte on its
    /// FIFO. A full FIFO (or saturated counter) means the peer has wake-ups pending already.
    ///
    /// A sender with records for several peers (a router dispatching one layer to its workers)
    /// writes them all, then rings each doorbell: the first peer woken takes a core at once, and
    /// when the sender is preempted between two records the second peer starts late by however long
    /// the scheduler keeps the sender off its core (milliseconds on two shared cores).
    public func ringDoorbell() {
        if outboundEventfd >= 0 && (!isCreator || doorbellKind == .eventfd) {
            var count: UInt64 = 1
            while write(outboundEventfd, &count, 8) < 0 && errno == EINTR {}
        } else {
            var byte: UInt8 = 1
            while write(outboundFIFO, &byte, 1) < 0 && errno == EINTR {}
        }
    }

    // MARK: Receiving

    /// Empties the doorbells; call before `receive` each time a descriptor polls readable. The
    /// creator drains both kinds, though the opener rings one: one `read` more per wake-up, and a
    /// doorbell rung by mistake can never leave its descriptor readable for `poll` to spin on.
    public func drainDoorbell() {
        var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &buffer) { bytes in
            for bell in inboundBells {
                while true {
                    // An eventfd gives its whole count in one read of 8 bytes; a FIFO up to 64 bytes.
                    let n = read(bell, bytes.baseAddress, bytes.count)
                    if n > 0 { continue }
                    if n < 0 && errno == EINTR { continue }
                    break
                }
            }
        }
    }

    /// Takes the oldest inbound record, if any: calls `body` with its parts (valid only during the
    /// call) and frees its space. False when the ring is empty. Throws `.corrupt` when the record
    /// breaks the format; the lane should not be used after that.
    public func receive(_ body: ([UnsafeRawBufferPointer]) -> Void) throws(SharedMemoryLaneError) -> Bool {
        try receiveLock.withLock { _ throws(SharedMemoryLaneError) -> Bool in
            var tail = Int(inbound.tail.load(as: UInt64.self))  // only this side writes it
            let head = Int(switchyard_load_acquire_u64(inbound.head))
            let capacity = inbound.capacity
            guard head != tail else { return false }
            guard head > tail, head - tail <= capacity else { throw .corrupt("ring indices \(tail)..\(head) out of order") }
            var offset = tail % capacity
            let marker = inbound.data.load(fromByteOffset: offset, as: UInt64.self)
            if marker == Self.wrapMarker {
                let skipped = capacity - offset
                guard head - tail > skipped else { throw .corrupt("wrap marker without a record after it") }
                tail += skipped
                offset = 0
            }
            let available = head - tail
            let record = inbound.data + offset
            let size = Int(clamping: record.load(as: UInt64.self))
            let count = Int(clamping: record.load(fromByteOffset: 8, as: UInt64.self))
            guard size >= 16, size % 8 == 0, size <= available, size <= capacity - offset else {
                throw .corrupt("record of \(size) bytes with \(available) available")
            }
            guard count <= Self.maxParts, 16 + 8 * count <= size else { throw .corrupt("record with \(count) parts") }
            var lengths: [Int] = []
            lengths.reserveCapacity(count)
            for index in 0..<count {
                lengths.append(Int(clamping: record.load(fromByteOffset: 16 + 8 * index, as: UInt64.self)))
            }
            guard lengths.allSatisfy({ $0 <= size }), Self.recordBytes(lengths) == size else {
                throw .corrupt("part lengths \(lengths) do not add up to a record of \(size) bytes")
            }
            var parts: [UnsafeRawBufferPointer] = []
            parts.reserveCapacity(count)
            var cursor = 16 + 8 * count
            for length in lengths {
                parts.append(UnsafeRawBufferPointer(start: record + cursor, count: length))
                cursor += Self.padded(length)
            }
            body(parts)
            switchyard_store_release_u64(inbound.tail, UInt64(tail + size))
            return true
        }
    }

    // MARK: Helpers

    static func padded(_ count: Int) -> Int { (count + 7) & ~7 }

    /// Bytes a record of parts this long takes: size and part count, a length per part, the parts padded to 8.
    static func recordBytes(_ lengths: [Int]) -> Int {
        16 + 8 * lengths.count + lengths.reduce(0) { $0 + padded($1) }
    }

    static func bellPath(_ path: String, toCreator: Bool) -> String {
        path + (toCreator ? ".to-creator" : ".to-opener")
    }

    static func removeFiles(_ path: String) {
        Glibc.unlink(path)
        Glibc.unlink(bellPath(path, toCreator: true))
        Glibc.unlink(bellPath(path, toCreator: false))
    }

    static func defaultDirectory() -> String {
        if access("/dev/shm", W_OK | X_OK) == 0 { return "/dev/shm" }
        if let tmp = getenv("TMPDIR"), tmp.pointee != 0 { return String(cString: tmp) }
        return "/tmp"
    }
}

/// Why a lane could not be made, opened or read.
public enum SharedMemoryLaneError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A system call failed: what was attempted and errno.
    case system(String, Int32)
    /// The file is not a lane this process may use (wrong size, magic, version, token or owner).
    case invalid(String)
    /// A record breaks the format (the peer wrote garbage): stop using the lane.
    case corrupt(String)

    public var description: String {
        switch self {
        case .system(let what, let code): "\(what): \(String(cString: strerror(code)))"
        case .invalid(let text): text
        case .corrupt(let text): "corrupt lane record: \(text)"
        }
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
