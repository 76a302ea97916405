import Foundation
import Synchronization
import Testing
@testable import SwitchyardBench

@Suite("Result JSON, summary table and HTML report")
struct ReportTests {
    static func result(failures: Int = 1) -> BenchRunResult {
        var records = (0..<30).map { i in
            StatisticsTests.record(i, intended: Double(i) * 0.1, sent: Double(i) * 0.1 + 0.01, ttft: 0.05, latency: 0.5)
        }
        for i in 0..<failures {
            records.append(StatisticsTests.record(30 + i, intended: 3, sent: 3, ttft: 0, latency: 0,
                                                  failure: RequestFailure(.httpStatus, "HTTP 503: \"busy\" <b>", status: 503)))
        }
        let config = BenchConfiguration(url: try! BenchURL(parsing: "http://127.0.0.1:1"), numPrompts: records.count,
                                        requestRate: 10, goodput: GoodputSLO(ttftMs: 100))
        return BenchRunResult(configuration: config, model: "m\"q", startDate: Date(timeIntervalSince1970: 0), duration: 3.5, records: records)
    }

    @Test("JSON is valid, escapes strings and writes non-finite numbers as null")
    func jsonText() throws {
        let doc = JSONValue.object([("a", .string("q\"\\\n\u{1}")), ("b", .number(.infinity)), ("c", .array([.int(1), .number(0.5)]))])
        let text = doc.serialized()
        #expect(text == #"{"a":"q\"\\\n\u0001","b":null,"c":[1,0.5]}"#)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(doc.serialized(pretty: true).utf8)) as? [String: Any])
        #expect(parsed["a"] as? String == "q\"\\\n\u{1}")
    }

    @Test("the result document has vLLM's keys, the goodput and one record per request")
    func resultKeys() throws {
        let doc = ResultDocument.make(Self.result())
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(doc.serialized().utf8)) as? [String: Any])
        #expect(parsed["completed"] as? Int == 30)
        #expect(parsed["failed"] as? Int == 1)
        #expect(parsed["date"] as? String == "19700101-000000")
        #expect(parsed["request_goodput"] as? Double == 30 / 3.5)
        #expect((parsed["requests"] as? [Any])?.count == 31)
        #expect((parsed["errors"] as? [String])?.first == "HTTP 503: \"busy\" <b>")
        for m in ["ttft", "tpot", "itl", "e2el", "ttft_intended", "e2el_intended", "send_delay"] {
            for s in ResultDocument.statisticNames { #expect(parsed["\(s)_\(m)_ms"] is Double, "\(s)_\(m)_ms") }
        }
        #expect(abs((parsed["mean_e2el_intended_ms"] as? Double ?? 0) - 510) < 1e-6)
    }

    @Test("summary table names failures and both latency clocks")
    func table() {
        let text = SummaryTable.render(Self.result())
        #expect(text.contains("Successful requests:                     30"))
        #expect(text.contains("HTTP status:"))
        #expect(text.contains("Latency from intended start"))
        #expect(text.contains("Request goodput (req/s):"))
    }

    @Test("the HTML report is self-contained and escapes text; the SVG form is one image")
    func html() {
        let html = HTMLReport.render([Self.result()])
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("m&quot;q") && !html.contains("<b>"))
        #expect(html.components(separatedBy: "<svg").count - 1 == 2)
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("<link"))
        let svg = HTMLReport.renderSVG(Self.result())
        #expect(svg.hasPrefix("<svg") && svg.contains("Latency CDF"))
        let sweep = HTMLReport.render([Self.result(), Self.result(failures: 0)])
        #expect(sweep.contains("Latency against throughput"))
    }

    @Test("CDF points rise from 0 to 1 and are capped in number")
    func cdfPoints() {
        let pts = HTMLReport.cdfPoints((0..<10_000).map { Double($0) / 1000 })
        #expect(pts.first?.y == 0 && pts.last?.y == 1)
        #expect(pts.count <= HTMLReport.maxPoints + 3)
        #expect(zip(pts, pts.dropFirst()).allSatisfy { $0.y <= $1.y && $0.x <= $1.x })
        #expect(SVGChart.niceCeiling(3.2) == 4 && SVGChart.niceCeiling(2010) == 2500 && SVGChart.niceCeiling(0) == 1)
    }

    @Test("progress: a plain line per 10% off a terminal, a redrawn bar on one")
    func progress() {
        let lines = Mutex<[String]>([])
        let plain = ProgressPrinter(interactive: false) { text in lines.withLock { $0.append(text) } }
        for i in 1...100 { plain.update(ProgressSnapshot(finished: i, failed: 0, total: 100, elapsed: Double(i) * 0.01)) }
        #expect(lines.withLock { $0.count } == 11)  // 0%, 10%, ..., 100%
        #expect(lines.withLock { $0.last } == "progress: 100/100 done, 0 failed, 1.0 s\n")
        #expect(ProgressPrinter.bar(ProgressSnapshot(finished: 5, failed: 1, total: 10, elapsed: 2), label: "", width: 10)
                == "[#####-----] 5/10 failed 1 2.0 s")
    }
}
