import Foundation

/// The outcome of one run (one sweep point): its settings, every request and the summary.
public struct BenchRunResult: Sendable {
    public var configuration: BenchConfiguration
    public var model: String
    public var startDate: Date
    /// Seconds from the first intended send to the last finish (or the time limit).
    public var duration: Double
    /// One record per prompt, ordered by index.
    public var records: [RequestRecord]
    /// The metrics computed from `records`.
    public var summary: BenchSummary

    public init(configuration: BenchConfiguration, model: String, startDate: Date, duration: Double, records: [RequestRecord]) {
        self.configuration = configuration
        self.model = model
        self.startDate = startDate
        self.duration = duration
        self.records = records
        self.summary = BenchSummary(records: records, duration: duration, goodput: configuration.goodput)
    }
}
