import Foundation
import Testing
@testable import SwitchyardBench

@Suite("Arrival schedule")
struct ArrivalScheduleTests {
    static func gaps(_ offsets: [Double]) -> [Double] {
        zip(offsets.dropFirst(), offsets).map { $0 - $1 }
    }

    static func meanAndCV(_ xs: [Double]) -> (Double, Double) {
        let mean = xs.reduce(0, +) / Double(xs.count)
        let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count)
        return (mean, variance.squareRoot() / mean)
    }

    @Test("gaps have mean 1/rate and the gamma coefficient of variation 1/sqrt(burstiness)",
          arguments: [(5.0, 1.0), (20.0, 0.25), (2.0, 4.0)])
    func meanRateAndBurstiness(rate: Double, burstiness: Double) {
        var rng = SeededRandom(seed: 42)
        let schedule = ArrivalSchedule(count: 40_001, rate: rate, burstiness: burstiness, rng: &rng)
        #expect(schedule.offsets.first == 0)
        let (mean, cv) = Self.meanAndCV(Self.gaps(schedule.offsets))
        #expect(abs(mean * rate - 1) < 0.03, "mean gap \(mean) for rate \(rate)")
        let expectedCV = 1 / burstiness.squareRoot()
        #expect(abs(cv - expectedCV) < 0.05 * expectedCV + 0.02, "cv \(cv), expected \(expectedCV)")
        #expect(zip(schedule.offsets, schedule.offsets.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test("the same seed gives the same schedule; another seed does not")
    func seedRepeatability() {
        var a = SeededRandom(seed: 7), b = SeededRandom(seed: 7), c = SeededRandom(seed: 8)
        let sa = ArrivalSchedule(count: 100, rate: 3, burstiness: 0.5, rng: &a)
        let sb = ArrivalSchedule(count: 100, rate: 3, burstiness: 0.5, rng: &b)
        let sc = ArrivalSchedule(count: 100, rate: 3, burstiness: 0.5, rng: &c)
        #expect(sa == sb)
        #expect(sa != sc)
    }

    @Test("an infinite rate sends everything at time 0")
    func infiniteRate() {
        var rng = SeededRandom(seed: 1)
        #expect(ArrivalSchedule(count: 5, rate: .infinity, burstiness: 1, rng: &rng).offsets == [0, 0, 0, 0, 0])
    }

    @Test("gamma samples have mean shape*scale", arguments: [0.3, 1.0, 2.5])
    func gammaMean(shape: Double) {
        var rng = SeededRandom(seed: 3)
        let g = GammaDistribution(shape: shape, scale: 2)
        let n = 50_000
        let mean = (0..<n).map { _ in g.sample(using: &rng) }.reduce(0, +) / Double(n)
        #expect(abs(mean - shape * 2) < 0.03 * shape * 2 + 0.01)
    }
}
