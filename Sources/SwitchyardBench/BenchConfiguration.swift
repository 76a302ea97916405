/// Where prompts come from.
public enum PromptSource: Sendable, Equatable {
    /// Random token ids (vLLM's `random` dataset).
    case random(inputLength: Int, rangeRatio: Double, vocabSize: Int)
    /// A JSONL file (see `PromptFile`).
    case file(path: String)
}

/// Everything one benchmark run needs; the CLI builds it, tests build it directly.
public struct BenchConfiguration: Sendable, Equatable {
    /// The server under test; the only host requests go to.
    public var url: BenchURL
    /// The `model` field; nil asks `GET /v1/models` for the first model.
    public var model: String?
    /// Requests per run (per sweep point).
    public var numPrompts: Int
    /// Mean requests per second of the open-loop arrival process; `.infinity` sends all at once.
    public var requestRate: Double
    /// Gamma shape of arrival gaps (1 = Poisson).
    public var burstiness: Double
    /// Most requests in flight at once; nil for no cap.
    public var maxConcurrency: Int?
    /// Random token ids or a JSONL file.
    public var prompts: PromptSource
    /// `max_tokens` (nominal; spread by the range ratio for random prompts).
    public var outputLength: Int
    /// Seeds prompts and arrival gaps (separate streams), so a run repeats exactly.
    public var seed: UInt64
    /// Stream the answer (SSE) so TTFT and inter-token gaps are measured; off sends `stream: false`.
    public var stream: Bool
    /// Send vLLM's `ignore_eos: true` so every request generates exactly `max_tokens`.
    public var ignoreEOS: Bool
    /// Sampling temperature sent with each request.
    public var temperature: Double
    /// Seconds one request may take in all.
    public var requestTimeout: Double
    /// Seconds to establish a connection.
    public var connectTimeout: Double
    /// Seconds without any byte from the server before a request fails as a timeout.
    public var readTimeout: Double
    /// Seconds the whole run (one sweep point) may take; unfinished requests are then aborted.
    public var maxDuration: Double
    /// Objectives for `request_goodput`; nil leaves it out.
    public var goodput: GoodputSLO?
    /// Several load points run in turn; nil for one run.
    public var sweep: Sweep?
    /// Keep generated text in the per-request records.
    public var saveText: Bool
    /// Which API the requests drive.
    public var endpoint: BenchEndpoint = .completions

    /// Defaults follow vLLM's benchmark (1000 prompts, rate inf) with 1024-token random prompts.
    public init(
        url: BenchURL, model: String? = nil, numPrompts: Int = 1000, requestRate: Double = .infinity,
        burstiness: Double = 1, maxConcurrency: Int? = nil,
        prompts: PromptSource = .random(inputLength: 1024, rangeRatio: 0, vocabSize: 1000),
        outputLength: Int = 128, seed: UInt64 = 0, stream: Bool = true, ignoreEOS: Bool = true,
        temperature: Double = 0, requestTimeout: Double = 300, connectTimeout: Double = 10,
        readTimeout: Double = 120, maxDuration: Double = 3600, goodput: GoodputSLO? = nil,
        sweep: Sweep? = nil, saveText: Bool = false
    ) {
        self.url = url
        self.model = model
        self.numPrompts = numPrompts
        self.requestRate = requestRate
        self.burstiness = burstiness
        self.maxConcurrency = maxConcurrency
        self.prompts = prompts
        self.outputLength = outputLength
        self.seed = seed
        self.stream = stream
        self.ignoreEOS = ignoreEOS
        self.temperature = temperature
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.maxDuration = maxDuration
        self.goodput = goodput
        self.sweep = sweep
        self.saveText = saveText
    }

    /// A copy driving `endpoint`.
    public func with(endpoint: BenchEndpoint) -> BenchConfiguration {
        var copy = self
        copy.endpoint = endpoint
        return copy
    }

    /// Whether arrivals follow a schedule (finite rate) rather than a closed loop.
    public var isOpenLoop: Bool { requestRate.isFinite }

    /// The configurations of each sweep point (or just this one without a sweep).
    public var points: [BenchConfiguration] {
        guard let sweep else { return [self] }
        switch sweep {
        case .rates(let rates):
            return rates.map { var c = self; c.sweep = nil; c.requestRate = $0; return c }
        case .concurrencies(let caps):
            return caps.map { var c = self; c.sweep = nil; c.maxConcurrency = $0; return c }
        }
    }
}

/// The API a benchmark drives.
public enum BenchEndpoint: String, Sendable, CaseIterable {
    /// `POST /v1/completions` with `prompt`.
    case completions
    /// `POST /v1/chat/completions` with the prompt as one user message.
    case chat

    /// The request path.
    public var path: String { self == .chat ? "/v1/chat/completions" : "/v1/completions" }
}
