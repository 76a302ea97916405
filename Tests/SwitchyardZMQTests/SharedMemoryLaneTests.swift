import Foundation
import Testing
@testable import SwitchyardZMQ

/// The shared-memory lane's rings, doorbells and checks, with both ends mapped in this process
/// (two mappings of one file, as two processes have).
@Suite struct SharedMemoryLaneTests {
    private func pair(capacity: Int = 1 << 16) throws -> (creator: SharedMemoryLane, opener: SharedMemoryLane) {
        let creator = try SharedMemoryLane.create(capacity: capacity)
        let opener = try SharedMemoryLane.open(path: creator.path, token: creator.token)
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

    private func readable(_ fd: Int32, timeoutMs: Int32) -> Bool {
        var item = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&item, 1, timeoutMs) == 1
    }

    @Test func recordsCrossBothWaysWithEveryPartIntact() throws {
        let (creator, opener) = try pair()
        defer { creator.unlink() }
        let parts = [bytes(13, seed: 1), [], bytes(4096, seed: 2), bytes(1, seed: 3)]
        #expect(send(creator, parts) == .sent)
        #expect(readable(opener.readableFD, timeoutMs: 1000))
        opener.drainDoorbell()
        #expect(!readable(opener.readableFD, timeoutMs: 0))
        #expect(try receive(opener) == parts)
        #expect(try receive(opener) == nil)
        #expect(send(opener, [bytes(100, seed: 4)]) == .sent)
        #expect(readable(creator.readableFD, timeoutMs: 1000))
        #expect(try receive(creator) == [bytes(100, seed: 4)])
        #expect(try receive(creator) == nil)
    }

    /// A record sent without ringing is in the ring but wakes no one until `ringDoorbell`, which
    /// a router uses to ring every worker's doorbell only once all of a layer's records are written.
    @Test func aRecordSentWithoutRingingWaitsForTheDoorbell() throws {
        let (creator, opener) = try pair()
        defer { creator.unlink() }
        let parts = [bytes(300, seed: 5)]
        #expect(parts[0].withUnsafeBytes { opener.send([$0], ringing: false) } == .sent)
        #expect(!readable(creator.readableFD, timeoutMs: 50), "no doorbell yet")
        opener.ringDoorbell()
        #expect(readable(creator.readableFD, timeoutMs: 1000))
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
