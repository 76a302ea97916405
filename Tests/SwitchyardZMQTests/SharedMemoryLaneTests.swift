import Foundation
import CZeroMQ
import Testing
@testable import SwitchyardZMQ

/// The shared-memory lane's rings, doorbells and checks, with both ends mapped in this process
/// (two mappings of one file, as two processes have).
@Suite struct SharedMemoryLaneTests {
    private func pair(capacity: Int = 1 << 16, eventfds: Bool = true) throws -> (creator: SharedMemoryLane, opener: SharedMemoryLane) {
        let creator = try SharedMemoryLane.create(capacity: capacity)
        let opener = try SharedMemoryLane.open(path: creator.path, token: creator.token, eventfdDoorbells: eventfds)
        return (creator, opener)
    }

    private func bytes(_ count: Int, seed: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) }
    }

    private func send(_ lane: SharedMemoryLane, _ parts: [[UInt8]]) -> SharedMemoryLane.SendResult {
        func go(_ index: Int, _ done: [UnsafeRawBufferPointer]) -> SharedMemoryLane.SendResult {
            guard index < parts.count else { return lane.send(done) }
            return parts[index].withUnsafeBytes { go(index + 1, done + [$0]) }
        }
        return go(0, [])
    }

    private func receive(_ lane: SharedMemoryLane) throws -> [[UInt8]]? {
        var parts: [[UInt8]] = []
        return try lane.receive { parts = $0.map { Array($0) } } ? parts : nil
    }

    /// Whether this process may copy its own descriptors with `pidfd_getfd` (Linux 5.6+; a seccomp
    /// profile may refuse it): where it may not, every lane falls back to its FIFOs.
    static let kernelCopiesDescriptors: Bool = {
        let own = switchyard_eventfd_open()
        defer { close(own) }
        let copy = switchyard_fd_of_process(getpid(), own)
        if copy >= 0 { close(copy) }
        return copy >= 0
    }()

    private func readable(_ fds: [Int32], timeoutMs: Int32) -> Bool {
        var items = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        return poll(&items, nfds_t(items.count), timeoutMs) >= 1
    }

    /// Both kinds of doorbell: the creator's eventfds copied into the opener (this process may copy
    /// its own descriptors), and the named FIFOs.
    @Test(arguments: [true, false])
    func recordsCrossBothWaysWithEveryPartIntact(eventfds: Bool) throws {
        let (creator, opener) = try pair(eventfds: eventfds)
        defer { creator.unlink() }
        let kind: SharedMemoryLane.DoorbellKind = eventfds && Self.kernelCopiesDescriptors ? .eventfd : .fifo
        #expect(opener.doorbellKind == kind)
        #expect(creator.doorbellKind == kind)
        #expect(opener.readableFDs.count == 1)
        #expect(creator.readableFDs.count == 2)
        let parts = [bytes(13, seed: 1), [], bytes(4096, seed: 2), bytes(1, seed: 3)]
        #expect(send(creator, parts) == .sent)
        #expect(readable(opener.readableFDs, timeoutMs: 1000))
        opener.drainDoorbell()
        #expect(!readable(opener.readableFDs, timeoutMs: 0))
        #expect(try receive(opener) == parts)
        #expect(try receive(opener) == nil)
        #expect(send(opener, [bytes(100, seed: 4)]) == .sent)
        #expect(readable(creator.readableFDs, timeoutMs: 1000))
        #expect(try receive(creator) == [bytes(100, seed: 4)])
        #expect(try receive(creator) == nil)
    }

    /// A record sent without ringing is in the ring but wakes no one until `ringDoorbell`, which
    /// a router uses to ring every worker's doorbell only once all of a layer's records are written.
    @Test(arguments: [true, false])
    func aRecordSentWithoutRingingWaitsForTheDoorbell(eventfds: Bool) throws {
        let (creator, opener) = try pair(eventfds: eventfds)
        defer { creator.unlink() }
        let parts = [bytes(300, seed: 5)]
        #expect(parts[0].withUnsafeBytes { opener.send([$0], ringing: false) } == .sent)
        #expect(!readable(creator.readableFDs, timeoutMs: 50), "no doorbell yet")
        opener.ringDoorbell()
        #expect(readable(creator.readableFDs, timeoutMs: 1000))
        creator.drainDoorbell()
        #expect(try receive(creator) == parts)
        #expect(try receive(creator) == nil)
    }

    /// Records of uneven sizes go round a small ring many times: each wraps where it must and
    /// arrives whole, in order.
    @Test func recordsWrapAroundTheRingInOrder() throws {
        let (creator, opener) = try pair(capacity: 4096)
        defer { creator.unlink() }
        var sent = 0, received = 0
        for round in 0..<200 {
            let size = 100 + (round * 397) % 1500
            #expect(send(creator, [bytes(size, seed: round), bytes(round % 9, seed: -round)]) == .sent)
            sent += 1
            if round % 3 == 2 {  // let up to three records pile up
                while let parts = try receive(opener) {
                    let expected = 100 + (received * 397) % 1500
                    #expect(parts == [bytes(expected, seed: received), bytes(received % 9, seed: -received)])
                    received += 1
                }
            }
        }
        while try receive(opener) != nil { received += 1 }
        #expect(received == sent)
    }

    @Test func aFullRingRefusesUntilThePeerReads() throws {
        let (creator, opener) = try pair(capacity: 4096)
        defer { creator.unlink() }
        #expect(send(creator, [bytes(5000, seed: 0)]) == .tooLarge)
        var accepted = 0
        while send(creator, [bytes(1000, seed: accepted)]) == .sent { accepted += 1 }
        #expect(accepted == 4)  // 16 + 8 + 1000 = 1024 bytes a record: four fill 4096
        #expect(send(creator, [bytes(1000, seed: 9)]) == .full)
        #expect(try receive(opener) == [bytes(1000, seed: 0)])
        #expect(send(creator, [bytes(1000, seed: 4)]) == .sent)
        #expect(send(creator, [bytes(1000, seed: 9)]) == .full)
        for seed in 1...4 { #expect(try receive(opener) == [bytes(1000, seed: seed)]) }
        #expect(try receive(opener) == nil)
    }

    @Test func onlyTheRightTokenOpensALane() throws {
        let creator = try SharedMemoryLane.create(capacity: 4096)
        defer { creator.unlink() }
        var wrong = creator.token
        wrong[0] ^= 1
        #expect(throws: SharedMemoryLaneError.self) { try SharedMemoryLane.open(path: creator.path, token: wrong) }
        #expect(throws: SharedMemoryLaneError.self) { try SharedMemoryLane.open(path: creator.path, token: [1, 2, 3]) }
        #expect(throws: SharedMemoryLaneError.self) { try SharedMemoryLane.open(path: creator.path + "-missing", token: creator.token) }
        // A file of a lane's size that is not one.
        let impostor = NSTemporaryDirectory() + "switchyard-not-a-lane-\(getpid())"
        FileManager.default.createFile(atPath: impostor, contents: Data(repeating: 7, count: 4096 * 3))
        defer { try? FileManager.default.removeItem(atPath: impostor) }
        do {
            _ = try SharedMemoryLane.open(path: impostor, token: creator.token)
            Issue.record("opened a file that is not a lane")
        } catch {
            #expect("\(error)".contains("bad magic"))
        }
    }

    /// A header whose pid or descriptor numbers do not lead to the creator's two eventfds (another
    /// process's, a regular file, a closed number, one eventfd named for both directions) leaves
    /// the opener on the FIFOs, which work.
    @Test(arguments: ["regular file", "no such process", "closed descriptor", "one eventfd for both ways"])
    func anOpenerThatCannotCopyEventfdsUsesTheFIFOs(header: String) throws {
        let creator = try SharedMemoryLane.create(capacity: 1 << 16)
        defer { creator.unlink() }
        let other = Glibc.open("/proc/self/stat", O_RDONLY | O_CLOEXEC)
        defer { close(other) }
        let file = Glibc.open(creator.path, O_RDWR | O_CLOEXEC)
        #expect(file >= 0)
        defer { close(file) }
        func write(_ value: Int32, at offset: Int) {
            var value = value
            #expect(pwrite(file, &value, 4, off_t(offset)) == 4)
        }
        switch header {
        case "regular file":
            write(other, at: SharedMemoryLane.eventfdToCreatorOffset)
            write(other, at: SharedMemoryLane.eventfdToOpenerOffset)
        case "no such process":
            write(Int32.max - 1, at: SharedMemoryLane.creatorPIDOffset)
        case "one eventfd for both ways":  // an opener ringing it would wake itself
            var number: Int32 = 0
            #expect(pread(file, &number, 4, off_t(SharedMemoryLane.eventfdToCreatorOffset)) == 4)
            write(number, at: SharedMemoryLane.eventfdToOpenerOffset)
        default:
            write(9999, at: SharedMemoryLane.eventfdToOpenerOffset)
        }
        let opener = try SharedMemoryLane.open(path: creator.path, token: creator.token)
        #expect(opener.doorbellKind == .fifo)
        #expect(creator.doorbellKind == .fifo)
        #expect(send(opener, [bytes(64, seed: 9)]) == .sent)
        #expect(readable(creator.readableFDs, timeoutMs: 1000))
        creator.drainDoorbell()
        #expect(!readable(creator.readableFDs, timeoutMs: 0))
        #expect(try receive(creator) == [bytes(64, seed: 9)])
        #expect(send(creator, [bytes(32, seed: 10)]) == .sent)
        #expect(readable(opener.readableFDs, timeoutMs: 1000))
        #expect(try receive(opener) == [bytes(32, seed: 10)])
    }

    /// The eventfd check looks at what the descriptor is, not at its number.
    @Test func onlyEventfdsCountAsEventfds() throws {
        let event = switchyard_eventfd_open()
        defer { close(event) }
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { ends.forEach { close($0) } }
        #expect(SharedMemoryLane.isEventfd(event))
        #expect(!SharedMemoryLane.isEventfd(ends[0]))
        #expect(!SharedMemoryLane.isEventfd(-1))
    }

    @Test func unlinkRemovesTheFilesAndTheLaneKeepsWorking() throws {
        let (creator, opener) = try pair(capacity: 4096)
        creator.unlink()
        for path in [creator.path, creator.path + ".to-creator", creator.path + ".to-opener"] {
            #expect(!FileManager.default.fileExists(atPath: path))
        }
        #expect(send(creator, [bytes(10, seed: 1)]) == .sent)
        #expect(try receive(opener) == [bytes(10, seed: 1)])
    }

    /// A peer that writes garbage makes `receive` throw, never read out of bounds or crash.
    @Test(arguments: [UInt64(9999), 8, 13, 1 << 40])
    func aMalformedRecordIsReportedNotRead(size: UInt64) throws {
        let (creator, opener) = try pair(capacity: 4096)
        defer { creator.unlink() }
        let fd = open(creator.path, O_RDWR)
        try #require(fd >= 0)
        defer { close(fd) }
        let total = SharedMemoryLane.headerBytes + 2 * 4096
        let raw = try #require(mmap(nil, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0))
        defer { munmap(raw, total) }
        // The creator-to-opener ring: one "record" of `size` bytes claimed, 64 published.
        raw.storeBytes(of: size, toByteOffset: SharedMemoryLane.headerBytes, as: UInt64.self)
        raw.storeBytes(of: UInt64(1), toByteOffset: SharedMemoryLane.headerBytes + 8, as: UInt64.self)
        raw.storeBytes(of: UInt64(64), toByteOffset: 128, as: UInt64.self)
        #expect(throws: SharedMemoryLaneError.self) { _ = try receive(opener) }
        // Indices out of order.
        raw.storeBytes(of: UInt64(1 << 20), toByteOffset: 128, as: UInt64.self)
        #expect(throws: SharedMemoryLaneError.self) { _ = try receive(opener) }
    }
}
