/// Service-level objectives for goodput (`--goodput ttft:MS tpot:MS e2el:MS`, as vLLM).
///
/// A request is "good" when it succeeded and meets every objective given. Time to first token and
/// end-to-end latency are judged from the intended send time, so queueing in the client or server
/// counts against the objective; time per output token has no queueing component.
public struct GoodputSLO: Sendable, Equatable, Codable {
    public var ttftMs: Double?
    public var tpotMs: Double?
    public var e2elMs: Double?

    public init(ttftMs: Double? = nil, tpotMs: Double? = nil, e2elMs: Double? = nil) {
        self.ttftMs = ttftMs
        self.tpotMs = tpotMs
        self.e2elMs = e2elMs
    }

    /// Whether no objective is set.
    public var isEmpty: Bool { ttftMs == nil && tpotMs == nil && e2elMs == nil }

    /// Parses `["ttft:500", "tpot:50"]` (or one string with spaces); throws `BenchInputError`.
    public init(parsing items: [String]) throws {
        self.init()
        let parts = items.flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "," }) }
        guard !parts.isEmpty else { throw BenchInputError("--goodput needs at least one KEY:MS pair (ttft, tpot, e2el)") }
        for part in parts {
            let pair = part.split(separator: ":", omittingEmptySubsequences: false)
            guard pair.count == 2, let ms = Double(pair[1]), ms.isFinite, ms > 0 else {
                throw BenchInputError("--goodput: '\(part)' is not KEY:MS with a positive number of milliseconds")
            }
            switch pair[0].lowercased() {
            case "ttft": ttftMs = ms
            case "tpot": tpotMs = ms
            case "e2el": e2elMs = ms
            default: throw BenchInputError("--goodput: unknown metric '\(pair[0])' (use ttft, tpot or e2el)")
            }
        }
    }

    /// Whether a request meets every objective.
    public func isMet(by record: RequestRecord) -> Bool {
        guard record.succeeded else { return false }
        if let ttftMs, (record.ttftFromIntended ?? .infinity) * 1000 > ttftMs { return false }
        if let tpotMs, let tpot = record.tpot, tpot * 1000 > tpotMs { return false }
        if let e2elMs, (record.latencyFromIntended ?? .infinity) * 1000 > e2elMs { return false }
        return true
    }
}
