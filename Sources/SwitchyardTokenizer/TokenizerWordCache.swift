import SwitchyardModel
import Foundation

/// Encodings of recently seen pre-tokens, keyed by their exact bytes (the `tokenizers` package
/// caches by word too). Open addressing over flat arenas: a hit neither allocates nor builds a
/// String. Cleared when full. Thread safe (one lock; each lookup and insert holds it briefly).
final class TokenizerWordCache: @unchecked Sendable {
    private struct Slot {
        var hash: UInt64 = 0
        var keyOffset: Int32 = -1
        var keyLength: Int32 = 0
        var idsOffset: Int32 = 0
        var idsCount: Int32 = 0
    }

    /// Words longer than this are not cached.
    static let maxWordBytes = 96
    private let capacity: Int
    private let lock = NSLock()
    private var slots: [Slot]
    private var keyBytes: [UInt8] = []
    private var ids: [Int32] = []
    private var count = 0

    init(capacity: Int = 32_768) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        self.capacity = capacity
        slots = [Slot](repeating: Slot(), count: size)
    }

    /// FNV-1a.
    @inline(__always)
    static func hash(_ word: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var value: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in word { value = (value ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return value
    }

    /// Appends the cached ids of `word` to `output`; false when it is not cached.
    func lookUp(_ word: UnsafeBufferPointer<UInt8>, hash: UInt64, into output: inout [Int32]) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let slot = find(word, hash: hash) else { return false }
        let found = slots[slot]
        output.append(contentsOf: ids[Int(found.idsOffset)..<Int(found.idsOffset + found.idsCount)])
        return true
    }

    func insert(_ word: UnsafeBufferPointer<UInt8>, hash: UInt64, ids encoded: ArraySlice<Int32>) {
        guard word.count <= Self.maxWordBytes else { return }
        lock.lock()
        defer { lock.unlock() }
        if count >= capacity {
            for index in slots.indices { slots[index] = Slot() }
            keyBytes.removeAll(keepingCapacity: true)
            ids.removeAll(keepingCapacity: true)
            count = 0
        }
        var index = Int(truncatingIfNeeded: hash) & (slots.count - 1)
        while slots[index].keyOffset >= 0 {
            if slots[index].hash == hash, matches(slots[index], word) { return }
            index = (index + 1) & (slots.count - 1)
        }
        slots[index] = Slot(hash: hash, keyOffset: Int32(keyBytes.count), keyLength: Int32(word.count),
                            idsOffset: Int32(ids.count), idsCount: Int32(encoded.count))
        keyBytes.append(contentsOf: word)
        ids.append(contentsOf: encoded)
        count += 1
    }

    private func find(_ word: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int? {
        var index = Int(truncatingIfNeeded: hash) & (slots.count - 1)
        while slots[index].keyOffset >= 0 {
            if slots[index].hash == hash, matches(slots[index], word) { return index }
            index = (index + 1) & (slots.count - 1)
        }
        return nil
    }

    private func matches(_ slot: Slot, _ word: UnsafeBufferPointer<UInt8>) -> Bool {
        guard Int(slot.keyLength) == word.count else { return false }
        return keyBytes.withUnsafeBufferPointer { stored in
            guard let base = stored.baseAddress, let other = word.baseAddress else { return word.isEmpty }
            return memcmp(base + Int(slot.keyOffset), other, word.count) == 0
        }
    }
}
