import Dispatch
import SwitchyardModel
/// A BPE model: vocabulary, merge ranks, unknown/byte-fallback handling and the merge loop over
/// one pre-token, with the semantics of the `tokenizers` package's `BPE` model.
package struct TokenizerBPE: Sendable {
    package typealias Merge = TokenizerMergeTable.Merge

    /// Token string (exact bytes) -> id.
    package let vocab: [TokenizerKey: Int32]
    /// (left id, right id) packed into 64 bits -> rank and merged id.
    package let merges: TokenizerMergeTable
    package let unknownID: Int32?
    /// Whether consecutive unknown characters become one unknown token.
    package let fuseUnknown: Bool
    /// Whether a pre-token that is itself in the vocabulary skips the merges (`ignore_merges`).
    package let ignoreMerges: Bool
    /// The ids of `<0x00>`...`<0xFF>` when `byte_fallback` is on (-1 where one is missing).
    package let byteFallbackIDs: [Int32]?
    /// The id of every one-scalar token below U+10000 by scalar value (-1: not in the vocabulary).
    private let scalarIDs: [Int32]
    /// One-scalar tokens at U+10000 and above.
    private let astralScalarIDs: [UInt32: Int32]
    /// Words up to this many symbols use the quadratic merge loop; longer ones the heap.
    package static let heapThreshold = 48

    package init(vocab: [TokenizerKey: Int32], mergePairs: [(String, String)], unknownToken: String?, fuseUnknown: Bool,
         byteFallback: Bool, ignoreMerges: Bool, path: String) throws {
        self.vocab = vocab
        self.fuseUnknown = fuseUnknown
        self.ignoreMerges = ignoreMerges
        if let unknownToken {
            guard let id = vocab[TokenizerKey(unknownToken)] else {
                throw TokenizerError.invalidFile(path: path, reason: "unk_token \"\(unknownToken)\" is not in the vocabulary")
            }
            unknownID = id
        } else {
            unknownID = nil
        }
        self.merges = try Self.mergeTable(mergePairs, vocab: vocab, path: path)
        var scalars = [Int32](repeating: -1, count: 0x10000)
        var astral: [UInt32: Int32] = [:]
        for (token, id) in vocab {
            var iterator = token.text.unicodeScalars.makeIterator()
            guard let scalar = iterator.next(), iterator.next() == nil else { continue }
            if scalar.value < 0x10000 { scalars[Int(scalar.value)] = id } else { astral[scalar.value] = id }
        }
        scalarIDs = scalars
        astralScalarIDs = astral
        if byteFallback {
            byteFallbackIDs = (0..<256).map { vocab[TokenizerKey(Self.byteTokenName(UInt8($0)))] ?? -1 }
        } else {
            byteFallbackIDs = nil
        }
    }

    /// The merge table: each pair's ids and merged id looked up (the costly part: three string
    /// hashes per merge, ~50k merges for a real vocabulary) in two halves at once, then inserted in
    /// rank order, so the lowest rank of a repeated pair wins as before.
    private static func mergeTable(_ pairs: [(String, String)], vocab: [TokenizerKey: Int32], path: String) throws -> TokenizerMergeTable {
        let count = pairs.count
        // Each half writes only its own ranks.
        nonisolated(unsafe) let ids = UnsafeMutableBufferPointer<(Int32, Int32, Int32)>.allocate(capacity: max(count, 1))
        defer { ids.deallocate() }
        let parts = count >= 4096 ? 2 : 1
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            for rank in (part * count / parts)..<((part + 1) * count / parts) {
                let (left, right) = pairs[rank]
                ids[rank] = (vocab[TokenizerKey(left)] ?? -1, vocab[TokenizerKey(right)] ?? -1, vocab[TokenizerKey(left + right)] ?? -1)
            }
        }
        var merges = TokenizerMergeTable(capacity: count)
        for rank in 0..<count {
            let (a, b, merged) = ids[rank]
            guard a >= 0, b >= 0, merged >= 0 else {
                let (left, right) = pairs[rank]
                throw TokenizerError.invalidFile(path: path, reason: "merge \(rank) (\"\(left)\" \"\(right)\") uses tokens not in the vocabulary")
            }
            merges.insertIfAbsent(key(a, b), Merge(rank: Int32(rank), merged: merged))
        }
        return merges
    }

    /// `<0x0A>`: the vocabulary name of a byte-fallback token.
    package static func byteTokenName(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "<0x\(digits[Int(byte >> 4)])\(digits[Int(byte & 15)])>"
    }

    @inline(__always)
    package static func key(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    @inline(__always)
    package func id(of scalar: Unicode.Scalar) -> Int32 {
        scalar.value < 0x10000 ? scalarIDs[Int(scalar.value)] : astralScalarIDs[scalar.value] ?? -1
    }

    /// Appends the ids of one pre-token given as UTF-8 text in the model's alphabet.
    package func encode(utf8 word: UnsafeBufferPointer<UInt8>, into output: inout [Int32]) {
        if ignoreMerges, let id = vocab[TokenizerKey(String(decoding: word, as: UTF8.self))] {
            output.append(id)
            return
        }
        var symbols: [Int32] = []
        symbols.reserveCapacity(word.count)
        var pendingUnknown = false
        var index = 0
        while index < word.count {
            let (value, length) = TokenizerGPT2Split.decode(word, at: index)
            index += length
            let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
            let id = id(of: scalar)
            if id >= 0 {
                if pendingUnknown, let unknownID { symbols.append(unknownID) }
                pendingUnknown = false
                symbols.append(id)
                continue
            }
            if let byteFallbackIDs, appendFallbackBytes(of: scalar, table: byteFallbackIDs, to: &symbols) {
                continue  // as in `tokenizers`, a pending unknown is not flushed before fallback bytes
            }
            guard let unknownID else { continue }
            if pendingUnknown && !fuseUnknown { symbols.append(unknownID) }
            pendingUnknown = true
        }
        if pendingUnknown, let unknownID { symbols.append(unknownID) }
        merge(&symbols)
        output.append(contentsOf: symbols)
    }

    /// Appends the ids of one pre-token of raw bytes whose one-byte tokens are `byteIDs[byte]`
    /// (the byte-level alphabet), skipping bytes without a token.
    package func encode(bytes: UnsafeBufferPointer<UInt8>, byteIDs: [Int32], into output: inout [Int32]) {
        var symbols: [Int32] = []
        symbols.reserveCapacity(bytes.count)
        for byte in bytes {
            let id = byteIDs[Int(byte)]
            if id >= 0 { symbols.append(id) } else if let unknownID { symbols.append(unknownID) }
        }
        merge(&symbols)
        output.append(contentsOf: symbols)
    }

    private func appendFallbackBytes(of scalar: Unicode.Scalar, table: [Int32], to symbols: inout [Int32]) -> Bool {
        var ids: (Int32, Int32, Int32, Int32) = (-1, -1, -1, -1)
        var count = 0
        var missing = false
        UTF8.encode(scalar) { byte in
            let id = table[Int(byte)]
            if id < 0 { missing = true }
            switch count {
            case 0: ids.0 = id
            case 1: ids.1 = id
            case 2: ids.2 = id
            default: ids.3 = id
            }
            count += 1
        }
        guard !missing else { return false }
        symbols.append(ids.0)
        if count > 1 { symbols.append(ids.1) }
        if count > 2 { symbols.append(ids.2) }
        if count > 3 { symbols.append(ids.3) }
        return true
    }

    /// Repeatedly merges the lowest-ranked adjacent pair (leftmost on ties), as `tokenizers` does.
    package func merge(_ symbols: inout [Int32]) {
        if symbols.count > Self.heapThreshold {
            heapMerge(&symbols)
            return
        }
        while symbols.count > 1 {
            var bestRank = Int32.max
            var bestIndex = -1
            var bestMerged: Int32 = 0
            for index in 0..<(symbols.count - 1) {
                if let merge = merges[Self.key(symbols[index], symbols[index + 1])], merge.rank < bestRank {
                    bestRank = merge.rank
                    bestIndex = index
                    bestMerged = merge.merged
                }
            }
            guard bestIndex >= 0 else { break }
            symbols[bestIndex] = bestMerged
            symbols.remove(at: bestIndex + 1)
        }
    }

    /// The same merges in O(n log n) for long words (a whole SentencePiece segment is one word):
    /// a linked list of symbols and a min-heap of candidate pairs keyed by (rank, position);
    /// a popped pair that no longer exists is skipped.
    package func heapMerge(_ symbols: inout [Int32]) {
        let count = symbols.count
        guard count > 1 else { return }
        var next = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count { buffer[index] = index + 1 < count ? Int32(index + 1) : -1 }
            initialized = count
        }
        var previous = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count { buffer[index] = Int32(index - 1) }
            initialized = count
        }
        var alive = [Bool](repeating: true, count: count)
        var heap = TokenizerMinHeap()
        heap.reserve(count)
        for index in 0..<(count - 1) {
            if let merge = merges[Self.key(symbols[index], symbols[index + 1])] {
                heap.push(UInt64(UInt32(merge.rank)) << 32 | UInt64(index))
            }
        }
        while let top = heap.pop() {
            let rank = Int32(truncatingIfNeeded: top >> 32)
            let position = Int(UInt32(truncatingIfNeeded: top))
            guard alive[position], next[position] >= 0 else { continue }
            let right = Int(next[position])
            guard let merge = merges[Self.key(symbols[position], symbols[right])], merge.rank == rank else { continue }
            symbols[position] = merge.merged
            alive[right] = false
            next[position] = next[right]
            if next[right] >= 0 { previous[Int(next[right])] = Int32(position) }
            if previous[position] >= 0 {
                let left = Int(previous[position])
                if let candidate = merges[Self.key(symbols[left], symbols[position])] {
                    heap.push(UInt64(UInt32(candidate.rank)) << 32 | UInt64(left))
                }
            }
            if next[position] >= 0, let candidate = merges[Self.key(symbols[position], symbols[Int(next[position])])] {
                heap.push(UInt64(UInt32(candidate.rank)) << 32 | UInt64(position))
            }
        }
        var write = 0
        for index in 0..<count where alive[index] {
            symbols[write] = symbols[index]
            write += 1
        }
        symbols.removeLast(count - write)
    }
}
