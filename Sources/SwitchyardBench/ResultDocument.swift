import Foundation

/// The `--result-json` document: vLLM's benchmark result keys, then Switchyard's additions
/// (latency from the intended send time, failures by kind) and one record per request.
public enum ResultDocument {
    /// The four per-token metrics vLLM reports, in its order.
    public static let metricNames = ["ttft", "tpot", "itl", "e2el"]
    /// The statistics written for each metric.
    public static let statisticNames = ["mean", "median", "std", "p90", "p99", "max"]

    /// The JSON of one run.
    public static func make(_ result: BenchRunResult) -> JSONValue {
        let c = result.configuration
        let s = result.summary
        let ok = result.records.filter(\.succeeded)
        var pairs: [(String, JSONValue)] = [
            ("date", .string(dateString(result.startDate))),
            ("backend", .string("openai")),
            ("endpoint_type", .string("openai")),
            ("label", .string("switchyard-bench")),
            ("base_url", .string(c.url.description)),
            ("model_id", .string(result.model)),
            ("tokenizer_id", .null),
            ("num_prompts", .int(c.numPrompts)),
            ("request_rate", c.requestRate.isFinite ? .number(c.requestRate) : .string("inf")),
            ("burstiness", .number(c.burstiness)),
            ("max_concurrency", c.maxConcurrency.map { .int($0) } ?? .null),
            ("seed", .int(Int(truncatingIfNeeded: c.seed))),
            ("stream", .bool(c.stream)),
            ("ignore_eos", .bool(c.ignoreEOS)),
            ("duration", .number(s.duration)),
            ("completed", .int(s.completed)),
            ("failed", .int(s.failed)),
            ("total_input_tokens", .int(s.totalInputTokens)),
            ("total_output_tokens", .int(s.totalOutputTokens)),
            ("request_throughput", .number(s.requestThroughput)),
            ("request_goodput", s.requestGoodput.map { .number($0) } ?? .null),
            ("output_throughput", .number(s.outputThroughput)),
            ("total_token_throughput", .number(s.totalTokenThroughput)),
            ("max_concurrent_requests", .int(s.maxConcurrentRequests)),
            ("input_lens", .array(ok.map { .int($0.inputTokens) })),
            ("output_lens", .array(ok.map { .int($0.outputTokens) })),
            ("ttfts", .array(ok.map { .number($0.ttft ?? 0) })),
            ("itls", .array(ok.map { .array($0.itl.map { .number($0) }) })),
            ("errors", .array(result.records.compactMap { $0.failure.map { .string($0.message) } })),
        ]
        let metrics: [(String, LatencySummary)] = [
            ("ttft", s.ttft), ("tpot", s.tpot), ("itl", s.itl), ("e2el", s.e2el),
            ("ttft_intended", s.ttftFromIntended), ("e2el_intended", s.e2elFromIntended), ("send_delay", s.sendDelay),
        ]
        for (name, summary) in metrics {
            pairs.append(contentsOf: statistics(name, summary))
        }
        if let g = c.goodput {
            pairs.append(("goodput_slo_ms", .object([
                ("ttft", g.ttftMs.map { .number($0) } ?? .null),
                ("tpot", g.tpotMs.map { .number($0) } ?? .null),
                ("e2el", g.e2elMs.map { .number($0) } ?? .null),
            ])))
        }
        pairs.append(("failures_by_kind", .object(FailureKind.allCases.map { ($0.rawValue, .int(s.failuresByKind[$0] ?? 0)) })))
        pairs.append(("metric_notes", .string(
            "ttft/tpot/itl/e2el are service times measured from the actual send, as vLLM; "
                + "*_intended_ms are latencies from the intended send time of the arrival schedule "
                + "(coordinated-omission corrected); send_delay is the gap between the two. "
                + "Percentiles are nearest-rank from an HdrHistogram (3 significant digits)."
        )))
        pairs.append(("requests", .array(result.records.map(record))))
        return .object(pairs)
    }

    /// A sweep: one document per point under `points`.
    public static func make(sweep results: [BenchRunResult]) -> JSONValue {
        .object([("sweep", .bool(true)), ("points", .array(results.map(make)))])
    }

    /// Writes a document as pretty-printed JSON; throws with the path in the message.
    public static func write(_ document: JSONValue, to path: String) throws {
        do {
            try Data((document.serialized(pretty: true) + "\n").utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            throw BenchInputError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    static func statistics(_ name: String, _ s: LatencySummary) -> [(String, JSONValue)] {
        [
            ("mean_\(name)_ms", .number(s.mean)), ("median_\(name)_ms", .number(s.median)),
            ("std_\(name)_ms", .number(s.std)), ("p90_\(name)_ms", .number(s.p90)),
            ("p99_\(name)_ms", .number(s.p99)), ("max_\(name)_ms", .number(s.max)),
        ]
    }

    static func record(_ r: RequestRecord) -> JSONValue {
        func ms(_ v: Double?) -> JSONValue { v.map { .number($0 * 1000) } ?? .null }
        var pairs: [(String, JSONValue)] = [
            ("index", .int(r.index)),
            ("success", .bool(r.succeeded)),
            ("intended_start_s", .number(r.intendedAt)),
            ("sent_s", r.sentAt.map { .number($0) } ?? .null),
            ("finished_s", r.finishedAt.map { .number($0) } ?? .null),
            ("input_tokens", .int(r.inputTokens)),
            ("requested_output_tokens", .int(r.requestedOutputTokens)),
            ("output_tokens", .int(r.outputTokens)),
            ("ttft_ms", ms(r.ttft)),
            ("tpot_ms", ms(r.tpot)),
            ("e2el_ms", ms(r.latency)),
            ("ttft_intended_ms", ms(r.ttftFromIntended)),
            ("e2el_intended_ms", ms(r.latencyFromIntended)),
            ("send_delay_ms", ms(r.sendDelay)),
            ("itl_ms", .array(r.itl.map { .number($0 * 1000) })),
            ("error_kind", r.failure.map { .string($0.kind.rawValue) } ?? .null),
            ("error", r.failure.map { .string($0.message) } ?? .null),
            ("http_status", r.failure?.status.map { .int($0) } ?? .null),
        ]
        if let text = r.text { pairs.append(("generated_text", .string(text))) }
        return .object(pairs)
    }

    static func dateString(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd-HHmmss"
        return f.string(from: date)
    }
}
