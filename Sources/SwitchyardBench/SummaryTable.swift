import Foundation

/// The plain-text tables printed at the end of a run, laid out like vLLM's benchmark output.
public enum SummaryTable {
    static let width = 50

    /// The summary of one run.
    public static func render(_ result: BenchRunResult) -> String {
        let s = result.summary
        var lines: [String] = []
        lines.append(banner(" Serving Benchmark Result ", fill: "="))
        row(&lines, "Successful requests:", "\(s.completed)")
        row(&lines, "Failed requests:", "\(s.failed)")
        for kind in FailureKind.allCases {
            if let n = s.failuresByKind[kind] { row(&lines, "  \(kind.label):", "\(n)") }
        }
        row(&lines, "Maximum request concurrency:", result.configuration.maxConcurrency.map(String.init) ?? "none")
        row(&lines, "Request rate (req/s):", result.configuration.requestRate.isFinite ? fmt(result.configuration.requestRate) : "inf")
        row(&lines, "Benchmark duration (s):", fmt(s.duration))
        row(&lines, "Total input tokens:", "\(s.totalInputTokens)")
        row(&lines, "Total generated tokens:", "\(s.totalOutputTokens)")
        row(&lines, "Request throughput (req/s):", fmt(s.requestThroughput))
        if let g = s.requestGoodput { row(&lines, "Request goodput (req/s):", fmt(g)) }
        row(&lines, "Output token throughput (tok/s):", fmt(s.outputThroughput))
        row(&lines, "Total token throughput (tok/s):", fmt(s.totalTokenThroughput))
        row(&lines, "Peak concurrent requests:", "\(s.maxConcurrentRequests)")
        section(&lines, "Time to First Token", "TTFT", s.ttft)
        section(&lines, "Time per Output Token (excl. 1st token)", "TPOT", s.tpot)
        section(&lines, "Inter-token Latency", "ITL", s.itl)
        section(&lines, "End-to-end Latency", "E2EL", s.e2el)
        lines.append(banner("Latency from intended start", fill: "-"))
        lines.append("(service times above start at the actual send; these start at the")
        lines.append(" scheduled send, so waiting for a slot or a stalled server counts)")
        for (name, m) in [("TTFT", s.ttftFromIntended), ("E2EL", s.e2elFromIntended)] {
            row(&lines, "Median \(name) from intended (ms):", fmt(m.median))
            row(&lines, "P99 \(name) from intended (ms):", fmt(m.p99))
            row(&lines, "Max \(name) from intended (ms):", fmt(m.max))
        }
        row(&lines, "Mean send delay (ms):", fmt(s.sendDelay.mean))
        row(&lines, "Max send delay (ms):", fmt(s.sendDelay.max))
        lines.append(String(repeating: "=", count: width))
        let errors = firstErrors(result.records)
        if !errors.isEmpty {
            lines.append("First errors:")
            lines.append(contentsOf: errors.map { "  " + $0 })
        }
        return lines.joined(separator: "\n")
    }

    /// One row per sweep point.
    public static func renderSweep(_ results: [BenchRunResult]) -> String {
        let header = ["rate", "conc", "ok", "fail", "req/s", "out tok/s", "p50 TTFT", "p99 TTFT",
                      "p50 TPOT", "p99 ITL", "p99 E2EL", "p99 E2EL*"]
        var rows = [header]
        for r in results {
            let s = r.summary
            rows.append([
                r.configuration.requestRate.isFinite ? fmt(r.configuration.requestRate) : "inf",
                r.configuration.maxConcurrency.map(String.init) ?? "-",
                "\(s.completed)", "\(s.failed)", fmt(s.requestThroughput), fmt(s.outputThroughput),
                fmt(s.ttft.median), fmt(s.ttft.p99), fmt(s.tpot.median), fmt(s.itl.p99), fmt(s.e2el.p99),
                fmt(s.e2elFromIntended.p99),
            ])
        }
        var widths = Array(repeating: 0, count: header.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var lines = rows.map { row in
            row.enumerated().map { i, cell in String(repeating: " ", count: widths[i] - cell.count) + cell }
                .joined(separator: "  ")
        }
        lines.insert(String(repeating: "-", count: lines[0].count), at: 1)
        lines.append("latencies in ms; E2EL* is measured from the intended send time")
        return lines.joined(separator: "\n")
    }

    /// Up to five distinct error messages with their counts.
    static func firstErrors(_ records: [RequestRecord]) -> [String] {
        var counts: [String: Int] = [:]
        var order: [String] = []
        for r in records {
            guard let f = r.failure else { continue }
            let key = "[\(f.kind.rawValue)] \(f.message)"
            if counts[key] == nil { order.append(key) }
            counts[key, default: 0] += 1
        }
        return order.prefix(5).map { "\($0) (x\(counts[$0]!))" }
    }

    private static func section(_ lines: inout [String], _ title: String, _ short: String, _ m: LatencySummary) {
        lines.append(banner(title, fill: "-"))
        row(&lines, "Mean \(short) (ms):", fmt(m.mean))
        row(&lines, "Median \(short) (ms):", fmt(m.median))
        row(&lines, "P90 \(short) (ms):", fmt(m.p90))
        row(&lines, "P99 \(short) (ms):", fmt(m.p99))
        row(&lines, "Max \(short) (ms):", fmt(m.max))
    }

    private static func banner(_ title: String, fill: Character) -> String {
        let pad = max(0, width - title.count)
        return String(repeating: fill, count: pad / 2) + title + String(repeating: fill, count: pad - pad / 2)
    }

    private static func row(_ lines: inout [String], _ label: String, _ value: String) {
        lines.append(label.padding(toLength: max(label.count + 1, 41), withPad: " ", startingAt: 0) + value)
    }

    static func fmt(_ v: Double) -> String { String(format: "%.2f", v) }
}
