/// The aggregate metrics of one run, computed from its records (pure: no clocks, no I/O).
public struct BenchSummary: Sendable, Equatable {
    /// Requests that finished with a complete answer.
    public var completed: Int
    /// Requests that failed, of any kind.
    public var failed: Int
    /// Failed requests per kind; kinds with no failure are absent.
    public var failuresByKind: [FailureKind: Int]
    /// Seconds from the start of the run to the end of the last request.
    public var duration: Double
    /// Prompt and output tokens of the completed requests.
    public var totalInputTokens: Int
    public var totalOutputTokens: Int
    /// Completed requests per second.
    public var requestThroughput: Double
    /// Requests per second meeting the goodput objectives; nil without `--goodput`.
    public var requestGoodput: Double?
    /// Output tokens per second, and prompt plus output tokens per second.
    public var outputThroughput: Double
    public var totalTokenThroughput: Double
    /// Service-time metrics (from the actual send), milliseconds, as vLLM reports them.
    public var ttft: LatencySummary
    public var tpot: LatencySummary
    public var itl: LatencySummary
    public var e2el: LatencySummary
    /// Latency from the intended send time (coordinated-omission corrected), milliseconds.
    public var ttftFromIntended: LatencySummary
    public var e2elFromIntended: LatencySummary
    /// Time each request waited between its intended and actual send, milliseconds.
    public var sendDelay: LatencySummary
    /// The most requests in flight at once.
    public var maxConcurrentRequests: Int

    /// Computes the summary. `duration` is the run's wall time in seconds (at least the last finish).
    public init(records: [RequestRecord], duration: Double, goodput: GoodputSLO?) {
        let ok = records.filter(\.succeeded)
        completed = ok.count
        failed = records.count - ok.count
        var kinds: [FailureKind: Int] = [:]
        for record in records { if let f = record.failure { kinds[f.kind, default: 0] += 1 } }
        failuresByKind = kinds
        let end = records.compactMap(\.finishedAt).max() ?? 0
        self.duration = Swift.max(duration, end, 1e-9)
        totalInputTokens = ok.reduce(0) { $0 + $1.inputTokens }
        totalOutputTokens = ok.reduce(0) { $0 + $1.outputTokens }
        requestThroughput = Double(completed) / self.duration
        outputThroughput = Double(totalOutputTokens) / self.duration
        totalTokenThroughput = Double(totalInputTokens + totalOutputTokens) / self.duration
        if let goodput, !goodput.isEmpty {
            requestGoodput = Double(ok.filter { goodput.isMet(by: $0) }.count) / self.duration
        } else {
            requestGoodput = nil
        }
        func ms(_ values: [Double?]) -> LatencySummary {
            LatencySummary(milliseconds: values.compactMap { $0.map { $0 * 1000 } })
        }
        ttft = ms(ok.map(\.ttft))
        tpot = ms(ok.map(\.tpot))
        itl = LatencySummary(milliseconds: ok.flatMap { $0.itl.map { $0 * 1000 } })
        e2el = ms(ok.map(\.latency))
        ttftFromIntended = ms(ok.map(\.ttftFromIntended))
        e2elFromIntended = ms(ok.map(\.latencyFromIntended))
        sendDelay = ms(records.map(\.sendDelay))
        maxConcurrentRequests = Self.peakConcurrency(records)
    }

    /// The largest number of requests whose [sentAt, finishedAt) intervals overlap.
    static func peakConcurrency(_ records: [RequestRecord]) -> Int {
        var edges: [(Double, Int)] = []
        edges.reserveCapacity(records.count * 2)
        for r in records {
            guard let s = r.sentAt, let f = r.finishedAt else { continue }
            edges.append((s, 1))
            edges.append((Swift.max(s, f), -1))
        }
        edges.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        var current = 0
        var peak = 0
        for (_, delta) in edges {
            current += delta
            peak = Swift.max(peak, current)
        }
        return peak
    }
}
