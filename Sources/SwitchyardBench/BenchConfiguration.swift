/// Where prompts come from.
public enum PromptSource: Sendable, Equatable {
    /// Random token ids (vLLM's `random` dataset).
    case random(inputLength: Int, rangeRatio: Double, vocabSize: Int)
    /// A JSONL file (see `PromptFile`).
    case file(path: String)
}

/// Everything one benchmark run needs; the CLI builds it, tests build it directly.
public struct BenchConfiguration: Sendable, Equatable {
    public var url: BenchURL
    /// The `model` field; nil asks `GET /v1/models` for the first model.
    public var model: String?
    public var numPrompts: Int
    /// Mean requests per second of the open-loop arrival process; `.infinity` sends all at once.
    public var requestRate: Double
    /// Gamma shape of arrival gaps (1 = Poisson).
    public var burstiness: Double
    /// Most requests in flight at once; nil for no cap.
    public var maxConcurrency: Int?
    public var prompts: PromptSource
    /// `max_tokens` (nominal; spread by the range ratio for random prompts).
    public var outputLength: Int
    public var seed: UInt64
    /// Stream the answer (SSE) so TTFT and inter-token gaps are measured; off sends `stream: false`.
    public var stream: Bool
    public var ignoreEOS: Bool
    public var temperature: Double
    /// Seconds one request may take in all.
    public var requestTimeout: Double
    /// Seconds to establish a connection.
    public var connectTimeout: Double
    /// Seconds without any byte from the server before a request fails as a timeout.
    public var readTimeout: Double
    /// Seconds the whole run (one sweep point) may take; unfinished requests are then aborted.
    public var maxDuration: Double
    public var goodput: GoodputSLO?
    public var sweep: Sweep?
    /// Keep generated text in the per-request records.
    public var saveText: Bool

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
