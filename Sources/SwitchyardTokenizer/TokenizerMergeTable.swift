import SwitchyardModel
/// The BPE merge ranks as an open-addressing hash table keyed by the packed (left, right) id pair:
/// one multiply to hash and no SipHash, since the merge loop looks pairs up for every symbol.
package struct TokenizerMergeTable: Sendable {
    package struct Merge: Sendable, Equatable {
        var rank: Int32
        var merged: Int32
    }

    private static let empty = UInt64.max
    private var keys: [UInt64]
    private var values: [Merge]
    private let mask: Int
    private let shift: UInt64
    private(set) var count = 0

    package init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: Self.empty, count: size)
        values = [Merge](repeating: Merge(rank: 0, merged: 0), count: size)
        mask = size - 1
        shift = UInt64(64 - size.trailingZeroBitCount)
    }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The merge of `key`, nil when the pair does not merge.
    @inline(__always)
    package subscript(key: UInt64) -> Merge? {
        var index = slot(key)
        while true {
            let stored = keys[index]
            if stored == key { return values[index] }
            if stored == Self.empty { return nil }
            index = (index + 1) & mask
        }
    }

    /// Adds a merge unless the pair already has one (the first, lowest rank wins).
    package mutating func insertIfAbsent(_ key: UInt64, _ merge: Merge) {
        precondition(key != Self.empty && count * 2 < keys.count)
        var index = slot(key)
        while true {
            let stored = keys[index]
            if stored == key { return }
            if stored == Self.empty {
                keys[index] = key
                values[index] = merge
                count += 1
                return
            }
            index = (index + 1) & mask
        }
    }
}
