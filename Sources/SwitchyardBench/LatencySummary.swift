import Histogram

/// Mean, spread and percentiles of one latency metric, in milliseconds.
///
/// Percentiles come from an HdrHistogram at microsecond resolution with 3 significant digits, so
/// they are within 0.1% of the nearest-rank percentile of the raw values (HdrHistogram reports the
/// top of the value's bucket). Mean, standard deviation, min and max are exact.
public struct LatencySummary: Sendable, Equatable, Codable {
    public var count: Int
    public var mean: Double
    /// Population standard deviation (as numpy's `std`).
    public var std: Double
    public var min: Double
    public var median: Double
    public var p90: Double
    public var p99: Double
    public var max: Double

    /// The summary of no values: every field 0.
    public static let empty = LatencySummary(count: 0, mean: 0, std: 0, min: 0, median: 0, p90: 0, p99: 0, max: 0)

    public init(count: Int, mean: Double, std: Double, min: Double, median: Double, p90: Double, p99: Double, max: Double) {
        self.count = count
        self.mean = mean
        self.std = std
        self.min = min
        self.median = median
        self.p90 = p90
        self.p99 = p99
        self.max = max
    }

    /// Summarises values in milliseconds; negative values (clock skew) count as 0.
    public init(milliseconds values: [Double]) {
        guard !values.isEmpty else {
            self = .empty
            return
        }
        var histogram = Histogram<UInt64>(numberOfSignificantValueDigits: .three)
        var sum = 0.0
        var lowest = Double.infinity
        var highest = -Double.infinity
        for raw in values {
            let v = Swift.max(0, raw.isFinite ? raw : 0)
            sum += v
            lowest = Swift.min(lowest, v)
            highest = Swift.max(highest, v)
            _ = histogram.record(UInt64((v * 1000).rounded()))
        }
        let mean = sum / Double(values.count)
        var squares = 0.0
        for raw in values {
            let d = Swift.max(0, raw.isFinite ? raw : 0) - mean
            squares += d * d
        }
        func percentile(_ p: Double) -> Double {
            Swift.min(highest, Double(histogram.valueAtPercentile(p)) / 1000)
        }
        self.init(
            count: values.count, mean: mean, std: (squares / Double(values.count)).squareRoot(),
            min: lowest, median: percentile(50), p90: percentile(90), p99: percentile(99), max: highest
        )
    }
}
