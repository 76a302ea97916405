import SwitchyardModel

/// Log-softmax statistics of one row of logits, computed without allocating.
enum TopLogprobs {
    /// The `count` most likely tokens with their log-probabilities, best first.
    static func top(_ logits: UnsafeBufferPointer<Float>, count: Int, logSumExp: Float) -> [TokenLogprob] {
        guard count > 0 else { return [] }
        var best: [TokenLogprob] = []
        best.reserveCapacity(count + 1)
        for (index, value) in logits.enumerated() {
            if best.count == count, let last = best.last, value <= last.logprob { continue }
            var position = best.count
            while position > 0 && best[position - 1].logprob < value { position -= 1 }
            best.insert(TokenLogprob(token: Int32(index), logprob: value), at: position)
            if best.count > count { best.removeLast() }
        }
        return best.map { TokenLogprob(token: $0.token, logprob: $0.logprob - logSumExp) }
    }

    /// `token`'s log-probability, rank and the `count` best alternatives under one row of logits.
    static func prompt(_ logits: UnsafeBufferPointer<Float>, token: Int32, count: Int) -> PromptTokenLogprob {
        let lse = LogSoftmax.logSumExp(logits)
        let value = logits[Int(token)]
        var better = 0
        for other in logits where other > value { better += 1 }
        return PromptTokenLogprob(token: token, logprob: value - lse, rank: better + 1,
                                  topLogprobs: top(logits, count: count, logSumExp: lse))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
