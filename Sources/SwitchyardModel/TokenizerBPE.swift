/// A BPE model: vocabulary, merge ranks, and the merge loop over one pre-token.
struct TokenizerBPE: Sendable {
    let vocab: [String: Int32]
    /// (left id, right id) packed into 64 bits -> (rank, merged id).
    let merges: [UInt64: (rank: Int32, merged: Int32)]
    let unknownID: Int32?
    let ignoreMerges: Bool

    init(vocab: [String: Int32], mergePairs: [(String, String)], unknownID: Int32?, ignoreMerges: Bool, path: String) throws {
        self.vocab = vocab
        self.unknownID = unknownID
        self.ignoreMerges = ignoreMerges
        var merges: [UInt64: (rank: Int32, merged: Int32)] = [:]
        merges.reserveCapacity(mergePairs.count)
        for (rank, (left, right)) in mergePairs.enumerated() {
            guard let a = vocab[left], let b = vocab[right], let merged = vocab[left + right] else {
                throw TokenizerError.invalidFile(path: path, reason: "merge \(rank) (\"\(left)\" \"\(right)\") uses tokens not in the vocabulary")
            }
            let key = Self.key(a, b)
            if merges[key] == nil { merges[key] = (Int32(rank), merged) }
        }
        self.merges = merges
    }

    @inline(__always)
    static func key(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    /// Appends the ids of one pre-token (already in the model's alphabet) to `output`.
    func encode(_ word: String, into output: inout [Int32]) {
        if ignoreMerges, let id = vocab[word] {
            output.append(id)
            return
        }
        var symbols: [Int32] = []
        symbols.reserveCapacity(word.unicodeScalars.count)
        for character in word {
            if let id = vocab[String(character)] {
                symbols.append(id)
            } else if let unknownID {
                symbols.append(unknownID)
            }
        }
        // Repeatedly merge the lowest-ranked adjacent pair (leftmost on ties), as tokenizers does.
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
        output.append(contentsOf: symbols)
    }
}
