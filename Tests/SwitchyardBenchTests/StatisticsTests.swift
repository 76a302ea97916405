import Testing
import Foundation
@testable import SwitchyardBench

@Suite("Statistics on synthetic timings")
struct StatisticsTests {
    /// Nearest-rank percentile of raw values: the reference HdrHistogram approximates.
    static func nearestRank(_ sorted: [Double], _ p: Double) -> Double {
        let rank = Swift.max(1, Int((p / 100 * Double(sorted.count)).rounded(.up)))
        return sorted[rank - 1]
    }

    @Test("percentiles match a sorted-array reference within HdrHistogram precision", arguments: [1, 7, 100, 1001, 20000])
    func percentilesMatchReference(count: Int) {
        var rng = SeededRandom(seed: UInt64(count))
        // Heavy-tailed latencies from 0.05 ms to ~10 s.
        let values = (0..<count).map { _ in 0.05 * Foundation.exp(12 * rng.nextOpenUnit()) }
        let summary = LatencySummary(milliseconds: values)
        let sorted = values.sorted()
        for (p, got) in [(50.0, summary.median), (90, summary.p90), (99, summary.p99)] {
            let want = Self.nearestRank(sorted, p)
            // 3 significant digits => within 0.1% relative, plus the 1 µs unit.
            #expect(abs(got - want) <= want * 0.001 + 0.001, "p\(p): \(got) vs \(want)")
        }
        #expect(summary.max == sorted.last!)
        #expect(summary.min == sorted.first!)
        let mean = values.reduce(0, +) / Double(count)
        #expect(abs(summary.mean - mean) < 1e-9 * Swift.max(1, mean))
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(count)
        #expect(abs(summary.std - variance.squareRoot()) < 1e-6 * Swift.max(1, mean))
        #expect(summary.count == count)
    }

    @Test("no values summarise to zeros")
    func emptySummary() {
        #expect(LatencySummary(milliseconds: []) == .empty)
    }

    static func record(
        _ i: Int, intended: Double, sent: Double, ttft: Double, latency: Double, tokens: Int = 11,
        failure: RequestFailure? = nil
    ) -> RequestRecord {
        RequestRecord(
            index: i, intendedAt: intended, sentAt: sent, finishedAt: sent + latency, inputTokens: 100,
            requestedOutputTokens: tokens, outputTokens: failure == nil ? tokens : 0,
            ttft: failure == nil ? ttft : nil, itl: failure == nil ? Array(repeating: (latency - ttft) / Double(tokens - 1), count: tokens - 1) : [],
            latency: failure == nil ? latency : nil, failure: failure
        )
    }

    @Test("throughputs, TPOT and failure counts follow vLLM's definitions")
    func summaryDefinitions() {
        let records = [
            Self.record(0, intended: 0, sent: 0, ttft: 0.1, latency: 1.1),
            Self.record(1, intended: 0.5, sent: 0.5, ttft: 0.2, latency: 1.2),
            Self.record(2, intended: 1, sent: 1, ttft: 0, latency: 0, failure: RequestFailure(.httpStatus, "HTTP 500", status: 500)),
            Self.record(3, intended: 1, sent: 1, ttft: 0, latency: 0, failure: RequestFailure(.connect, "refused")),
        ]
        let s = BenchSummary(records: records, duration: 2, goodput: nil)
        #expect(s.completed == 2)
        #expect(s.failed == 2)
        #expect(s.failuresByKind == [.httpStatus: 1, .connect: 1])
        #expect(s.totalInputTokens == 200)
        #expect(s.totalOutputTokens == 22)
        #expect(s.requestThroughput == 1)
        #expect(s.outputThroughput == 11)
        #expect(s.totalTokenThroughput == 111)
        // TPOT = (e2el - ttft) / (tokens - 1) = 1.0 s / 10 = 100 ms for both.
        #expect(abs(s.tpot.mean - 100) < 1e-9)
        #expect(abs(s.ttft.mean - 150) < 1e-9)
        #expect(s.itl.count == 20)
        #expect(s.requestGoodput == nil)
        #expect(s.maxConcurrentRequests == 2)
    }

    @Test("goodput counts only requests meeting every objective")
    func goodput() throws {
        let records = [
            Self.record(0, intended: 0, sent: 0, ttft: 0.1, latency: 1.1),   // ttft 100, tpot 100
            Self.record(1, intended: 0, sent: 0, ttft: 0.3, latency: 1.3),   // ttft 300: misses ttft
            Self.record(2, intended: 0, sent: 0, ttft: 0.1, latency: 3.1),   // tpot 300: misses tpot
            Self.record(3, intended: 0, sent: 0.5, ttft: 0.1, latency: 1.1), // 500 ms late: ttft from intended 600
            Self.record(4, intended: 0, sent: 0, ttft: 0, latency: 0, failure: RequestFailure(.timeout, "t")),
        ]
        let slo = try GoodputSLO(parsing: ["ttft:200", "tpot:150"])
        let s = BenchSummary(records: records, duration: 4, goodput: slo)
        #expect(s.requestGoodput == 0.25)  // only request 0, over 4 s
        let e2el = try GoodputSLO(parsing: ["e2el:1400"])
        #expect(BenchSummary(records: records, duration: 4, goodput: e2el).requestGoodput == 0.5)  // 0 and 1; 3 is 1.6 s from intended
    }

    @Test("a stalled server grows latency from intended start while service time stays flat")
    func coordinatedOmission() {
        // Closed loop at concurrency 1 behind an open-loop schedule of 10 req/s: each request takes
        // 50 ms except one 3-second stall. Requests queued behind the stall are sent late.
        var records: [RequestRecord] = []
        var free = 0.0
        for i in 0..<100 {
            let intended = Double(i) * 0.1
            let sent = Swift.max(intended, free)
            let service = i == 10 ? 3.0 : 0.05
            records.append(Self.record(i, intended: intended, sent: sent, ttft: service / 2, latency: service))
            free = sent + service
        }
        let s = BenchSummary(records: records, duration: free, goodput: nil)
        // Service time: one slow sample out of 100, so p90 is the normal 50 ms.
        #expect(abs(s.e2el.p90 - 50) < 0.1)
        #expect(abs(s.e2el.median - 50) < 0.1)
        // From intended start: the ~30 requests queued behind the stall each carry their wait.
        #expect(s.e2elFromIntended.p90 > 1000)
        #expect(s.e2elFromIntended.median > 50)
        #expect(s.e2elFromIntended.max > 2999)
        #expect(s.sendDelay.max > 2800)
        #expect(s.ttftFromIntended.p90 > s.ttft.p90 * 10)
    }
}
