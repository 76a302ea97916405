/// When each request of an open-loop run is meant to be sent, as offsets in seconds from the start.
///
/// Follows vLLM's benchmark: the first request goes at 0, and each gap after it is drawn from a
/// gamma distribution with shape `burstiness` and mean `1 / rate` (exponential gaps, so Poisson
/// arrivals, when `burstiness` is 1). An infinite rate sends every request at time 0.
public struct ArrivalSchedule: Sendable, Equatable {
    /// The intended send time of request `i`, in seconds from the start of the run; non-decreasing.
    public let offsets: [Double]

    /// Builds a schedule of `count` arrivals.
    /// - Parameters:
    ///   - count: number of requests.
    ///   - rate: mean requests per second; `.infinity` sends all at once.
    ///   - burstiness: gamma shape; must be positive.
    ///   - rng: the seeded generator, so a seed gives the same schedule every time.
    public init(count: Int, rate: Double, burstiness: Double, rng: inout SeededRandom) {
        precondition(count >= 0 && rate > 0 && burstiness > 0, "invalid arrival schedule parameters")
        guard rate.isFinite else {
            offsets = Array(repeating: 0, count: count)
            return
        }
        let gaps = GammaDistribution(shape: burstiness, scale: 1 / (rate * burstiness))
        var result: [Double] = []
        result.reserveCapacity(count)
        var t = 0.0
        for i in 0..<count {
            if i > 0 { t += gaps.sample(using: &rng) }
            result.append(t)
        }
        offsets = result
    }

    /// Wraps explicit offsets (tests, replay); they must be sorted.
    public init(offsets: [Double]) {
        precondition(zip(offsets, offsets.dropFirst()).allSatisfy { $0 <= $1 }, "offsets must be sorted")
        self.offsets = offsets
    }
}
