/// The `--report FILE.html` page: summary tables and inline SVG plots of latency over time and
/// latency CDFs, in one file with no external resources (opens in a browser without network).
///
/// A path ending in `.svg` gets just the plots of the last point as one SVG image.
public enum HTMLReport {
    /// Most points drawn per series, so big runs keep a small file.
    static let maxPoints = 4000

    /// The whole page for one or more runs (sweep points).
    public static func render(_ results: [BenchRunResult]) -> String {
        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>switchyard bench report</title>
        <style>body{font-family:sans-serif;margin:2em;max-width:1500px}pre{background:#f6f6f6;padding:1em;overflow-x:auto}
        .charts{display:flex;flex-wrap:wrap;gap:1em}h2{border-bottom:1px solid #ccc}</style></head><body>
        <h1>switchyard bench report</h1>

        """
        if let first = results.first {
            html += "<p>Server <code>\(HTMLText.escape(first.configuration.url.description))</code>, model <code>\(HTMLText.escape(first.model))</code>, started \(HTMLText.escape(ResultDocument.dateString(first.startDate))) UTC.</p>\n"
        }
        html += "<p>Service times (TTFT, TPOT, ITL, E2EL) are measured from the moment a request was actually sent, as vLLM's benchmark does. Latency from the intended start is measured from the arrival schedule's send time, so time spent waiting for a concurrency slot or behind a stalled server is not hidden (coordinated omission).</p>\n"
        if results.count > 1 {
            html += "<h2>Sweep</h2><pre>\(HTMLText.escape(SummaryTable.renderSweep(results)))</pre>\n"
            html += "<div class=\"charts\">\(sweepChart(results).render())</div>\n"
        }
        for (i, r) in results.enumerated() {
            html += "<h2>\(results.count > 1 ? "Point \(i + 1): " : "")\(HTMLText.escape(pointName(r)))</h2>\n"
            html += "<pre>\(HTMLText.escape(SummaryTable.render(r)))</pre>\n<div class=\"charts\">\n"
            html += overTime(r).render() + "\n" + cdf(r).render() + "\n</div>\n"
        }
        html += "</body></html>\n"
        return html
    }

    /// The two plots of one run stacked in one SVG document.
    public static func renderSVG(_ result: BenchRunResult) -> String {
        let a = overTime(result).render(), b = cdf(result).render()
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"720\" viewBox=\"0 0 720 720\">"
            + "<g>\(a)</g><g transform=\"translate(0 360)\">\(b)</g></svg>\n"
    }

    static func pointName(_ r: BenchRunResult) -> String {
        let rate = r.configuration.requestRate.isFinite ? SummaryTable.fmt(r.configuration.requestRate) + " req/s" : "rate inf"
        let cap = r.configuration.maxConcurrency.map { ", max concurrency \($0)" } ?? ""
        return rate + cap
    }

    /// Latency against intended start time; failed requests as red points at 0.
    static func overTime(_ r: BenchRunResult) -> SVGChart {
        let ok = r.records.filter(\.succeeded)
        let failed = r.records.filter { !$0.succeeded }
        return SVGChart(title: "Latency over time", xLabel: "intended start (s)", yLabel: "ms", series: [
            .init(name: "E2EL from intended", color: "#d62728", style: .scatter,
                  points: thin(ok.compactMap { r in r.latencyFromIntended.map { (r.intendedAt, $0 * 1000) } })),
            .init(name: "E2EL (service)", color: "#1f77b4", style: .scatter,
                  points: thin(ok.compactMap { r in r.latency.map { (r.intendedAt, $0 * 1000) } })),
            .init(name: "TTFT (service)", color: "#2ca02c", style: .scatter,
                  points: thin(ok.compactMap { r in r.ttft.map { (r.intendedAt, $0 * 1000) } })),
            .init(name: "failed", color: "#000000", style: .scatter, points: thin(failed.map { ($0.intendedAt, 0) })),
        ])
    }

    /// Cumulative distributions of the latency metrics.
    static func cdf(_ r: BenchRunResult) -> SVGChart {
        let ok = r.records.filter(\.succeeded)
        return SVGChart(title: "Latency CDF", xLabel: "ms", yLabel: "fraction of requests (ITL: of gaps)", series: [
            .init(name: "E2EL from intended", color: "#d62728", style: .line, points: cdfPoints(ok.compactMap(\.latencyFromIntended))),
            .init(name: "E2EL (service)", color: "#1f77b4", style: .line, points: cdfPoints(ok.compactMap(\.latency))),
            .init(name: "TTFT (service)", color: "#2ca02c", style: .line, points: cdfPoints(ok.compactMap(\.ttft))),
            .init(name: "ITL", color: "#9467bd", style: .line, points: cdfPoints(ok.flatMap(\.itl))),
        ])
    }

    static func sweepChart(_ results: [BenchRunResult]) -> SVGChart {
        func line(_ name: String, _ color: String, _ value: (BenchSummary) -> Double) -> SVGChart.Series {
            .init(name: name, color: color, style: .line,
                  points: results.map { ($0.summary.requestThroughput, value($0.summary)) }.sorted { $0.0 < $1.0 })
        }
        return SVGChart(title: "Latency against throughput", xLabel: "request throughput (req/s)", yLabel: "ms", series: [
            line("p99 E2EL from intended", "#d62728") { $0.e2elFromIntended.p99 },
            line("p99 E2EL (service)", "#1f77b4") { $0.e2el.p99 },
            line("p99 TTFT (service)", "#2ca02c") { $0.ttft.p99 },
        ])
    }

    /// Sorted values (seconds) as (ms, cumulative fraction), at most `maxPoints` of them.
    static func cdfPoints(_ seconds: [Double]) -> [(x: Double, y: Double)] {
        let sorted = seconds.sorted()
        guard !sorted.isEmpty else { return [] }
        let step = Swift.max(1, (sorted.count + maxPoints - 1) / maxPoints)
        var points: [(x: Double, y: Double)] = [(sorted[0] * 1000, 0)]
        var i = 0
        while i < sorted.count {
            points.append((sorted[i] * 1000, Double(i + 1) / Double(sorted.count)))
            i += step
        }
        points.append((sorted[sorted.count - 1] * 1000, 1))
        return points
    }

    static func thin(_ points: [(Double, Double)]) -> [(x: Double, y: Double)] {
        let step = Swift.max(1, (points.count + maxPoints - 1) / maxPoints)
        return stride(from: 0, to: points.count, by: step).map { (points[$0].0, points[$0].1) }
    }
}
