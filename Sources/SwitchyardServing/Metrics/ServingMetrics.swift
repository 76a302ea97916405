import SwitchyardModel

/// The serving metrics exported on `/metrics`, named after vLLM's (`vllm:` becomes `switchyard_`).
public struct ServingMetrics: Sendable {
    public let registry: PrometheusRegistry

    static let latencyBuckets: [Double] = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75,
                                           1, 2.5, 5, 7.5, 10, 20, 40, 80]
    static let tokenLatencyBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05,
                                                0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5]

    public init(registry: PrometheusRegistry = PrometheusRegistry()) {
        self.registry = registry
        registry.declareCounter("switchyard_prompt_tokens_total", help: "Prompt tokens processed.")
        registry.declareCounter("switchyard_generation_tokens_total", help: "Tokens generated.")
        registry.declareCounter("switchyard_request_success_total", help: "Requests finished, by finish reason.")
        registry.declareCounter("switchyard_request_failure_total", help: "Requests that failed, by reason.")
        registry.declareCounter("switchyard_http_requests_total", help: "HTTP requests answered, by route and status.")
    }

    func timeToFirstToken(_ seconds: Double) {
        registry.observe("switchyard_time_to_first_token_seconds", help: "Time from arrival to the first generated token.",
                         buckets: Self.latencyBuckets, value: seconds)
    }

    func interTokenLatency(_ seconds: Double) {
        registry.observe("switchyard_inter_token_latency_seconds", help: "Time between two generated tokens of one request.",
                         buckets: Self.tokenLatencyBuckets, value: seconds)
    }

    func endToEndLatency(_ seconds: Double) {
        registry.observe("switchyard_e2e_request_latency_seconds", help: "Time from arrival to the last token.",
                         buckets: Self.latencyBuckets, value: seconds)
    }

    static let tokenCountBuckets: [Double] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000]
    static let phaseBuckets: [Double] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50,
                                         60, 120, 240, 480, 960, 1920]

    /// vLLM's per-request histograms for one finished request: time waiting, prefilling and decoding,
    /// and its prompt and generated token counts.
    func requestDone(queue: Double, prefill: Double, decode: Double, promptTokens: Int, generationTokens: Int) {
        registry.observe("switchyard_request_queue_time_seconds", help: "Time a request waited before its first step.",
                         buckets: Self.phaseBuckets, value: queue)
        registry.observe("switchyard_request_prefill_time_seconds", help: "Time from a request's first step to its first token.",
                         buckets: Self.phaseBuckets, value: prefill)
        registry.observe("switchyard_request_decode_time_seconds", help: "Time from a request's first token to its last.",
                         buckets: Self.phaseBuckets, value: decode)
        registry.observe("switchyard_request_prompt_tokens", help: "Prompt tokens per finished request.",
                         buckets: Self.tokenCountBuckets, value: Double(promptTokens))
        registry.observe("switchyard_request_generation_tokens", help: "Tokens generated per finished request.",
                         buckets: Self.tokenCountBuckets, value: Double(generationTokens))
    }

    /// Tokens fed to the engine in one step (decodes plus prefill chunks).
    func iterationTokens(_ count: Int) {
        registry.observe("switchyard_iteration_tokens_total", help: "Tokens per engine step.",
                         buckets: Self.tokenCountBuckets, value: Double(count))
    }

    func promptTokens(_ count: Int) {
        registry.increment("switchyard_prompt_tokens_total", help: "Prompt tokens processed.", by: Double(count))
    }

    func generationTokens(_ count: Int) {
        registry.increment("switchyard_generation_tokens_total", help: "Tokens generated.", by: Double(count))
    }

    func requestFinished(_ reason: FinishReason) {
        registry.increment("switchyard_request_success_total", help: "Requests finished, by finish reason.",
                           labels: [("finished_reason", reason.rawValue)])
    }

    func requestFailed(_ reason: String) {
        registry.increment("switchyard_request_failure_total", help: "Requests that failed, by reason.",
                           labels: [("reason", reason)])
    }

    /// Counts an answered HTTP request; a 4xx on a generation route is also a failed request
    /// (`reason="client_error"`), as vLLM counts `abort`s.
    func httpRequest(route: String, status: Int) {
        registry.increment("switchyard_http_requests_total", help: "HTTP requests answered, by route and status.",
                           labels: [("route", route), ("status", String(status))])
        if (400..<500).contains(status) && status != 499 && route.hasSuffix("completions") {
            requestFailed("client_error")
        }
    }

    /// Exports an engine's per-expert token counts as `switchyard_expert_tokens_total{layer, expert}`
    /// (experts that got tokens), formatted from one snapshot when scraped.
    public func export(_ traffic: ExpertTraffic) {
        registry.counter("switchyard_expert_tokens_total", help: "Tokens routed to each expert, by layer.") {
            let counts = traffic.snapshot()
            var samples: [(labels: String, value: Double)] = []
            for layer in 0..<counts.layers {
                for expert in 0..<counts.experts where counts.tokens(layer: layer, expert: expert) > 0 {
                    samples.append((PrometheusRegistry.labelText([("layer", String(layer)), ("expert", String(expert))]),
                                    Double(counts.tokens(layer: layer, expert: expert))))
                }
            }
            return samples
        }
        registry.counter("switchyard_ffn_calls_total",
                         help: "FFN calls (one layer of one micro-batch) the engine made, experts in-process or on workers.") {
            [(labels: "", value: Double(traffic.ffnTotals().calls))]
        }
        registry.counter("switchyard_ffn_seconds_total",
                         help: "Seconds the engine spent in FFN calls: expert compute in-process, or packing, the round trip to the workers and the wake-up after it.") {
            [(labels: "", value: Double(traffic.ffnTotals().micros) / 1e6)]
        }
    }
}
