import SwitchyardModel

/// The BPE merges a SentencePiece vocabulary implies, recovered from its pieces and scores as
/// transformers does when it loads a `tokenizer.ggml.model` "llama" GGUF (`generate_merges`):
/// every way of cutting a piece into two pieces of the vocabulary is a merge with the piece's
/// score; higher scores merge first (then longer left, then longer right parts), ties keeping the
/// order of the pieces in the file and, within one piece, of the parts' ids.
enum GGUFSentencePieceMerges {
    /// `tokens` with their `scores` (one each). A string listed twice counts with its last id and
    /// score, at the place it first appears.
    static func merges(tokens: [String], scores: [Float]) -> [(String, String)] {
        // Keyed by exact bytes: Swift's `==` would equate decomposed and precomposed spellings.
        var ids: [TokenizerKey: Int] = [:]
        var score: [TokenizerKey: Float] = [:]
        var order: [String] = []
        for (id, token) in tokens.enumerated() {
            let key = TokenizerKey(token)
            if ids[key] == nil { order.append(token) }
            ids[key] = id
            score[key] = scores[id]
        }
        struct Candidate {
            var left: String, right: String
            var score: Float
            var leftLength: Int, rightLength: Int
        }
        var candidates: [Candidate] = []
        for token in order {
            let scalars = Array(token.unicodeScalars)
            guard scalars.count > 1 else { continue }
            var local: [(candidate: Candidate, leftID: Int, rightID: Int)] = []
            for cut in 1..<scalars.count {
                var left = String.UnicodeScalarView(), right = String.UnicodeScalarView()
                left.append(contentsOf: scalars[..<cut])
                right.append(contentsOf: scalars[cut...])
                let l = String(left), r = String(right)
                guard let leftID = ids[TokenizerKey(l)], let rightID = ids[TokenizerKey(r)] else { continue }
                local.append((Candidate(left: l, right: r, score: score[TokenizerKey(token)]!, leftLength: cut, rightLength: scalars.count - cut),
                              leftID, rightID))
            }
            local.sort { ($0.leftID, $0.rightID) < ($1.leftID, $1.rightID) }
            candidates += local.map(\.candidate)
        }
        // A stable sort, best first.
        let ranked = candidates.enumerated().sorted { a, b in
            let x = a.element, y = b.element
            if x.score != y.score { return x.score > y.score }
            if x.leftLength != y.leftLength { return x.leftLength > y.leftLength }
            if x.rightLength != y.rightLength { return x.rightLength > y.rightLength }
            return a.offset < b.offset
        }
        return ranked.map { ($0.element.left, $0.element.right) }
    }
}
