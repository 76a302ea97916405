/// What happened to one request. Times are seconds from the start of the run.
///
/// Two clocks are kept apart on purpose (coordinated omission):
/// * **service time** is measured from `sentAt`, when the client actually began the request
///   (connect + send); it is what vLLM's benchmark reports as TTFT and E2EL.
/// * **latency** is measured from `intendedAt`, when the arrival schedule meant to send it. When the
///   client had to wait (concurrency cap, or a stalled server holding every slot) the wait shows here,
///   so a slow server cannot hide its queue by slowing the client down.
public struct RequestRecord: Sendable, Equatable, Codable {
    /// Position in the run (prompt index).
    public var index: Int
    /// When the schedule meant to send it (equal to `sentAt` in a closed loop).
    public var intendedAt: Double
    /// When the client started it.
    public var sentAt: Double?
    /// When the last byte arrived or the failure happened.
    public var finishedAt: Double?
    /// Prompt tokens (from the prompt, or from the server's usage for text prompts).
    public var inputTokens: Int
    /// `max_tokens` requested.
    public var requestedOutputTokens: Int
    /// Output tokens received.
    public var outputTokens: Int
    /// Time to first token, service time, seconds.
    public var ttft: Double?
    /// Gaps between token arrivals, seconds.
    public var itl: [Double]
    /// End-to-end service time, seconds.
    public var latency: Double?
    /// Why it failed; nil on success.
    public var failure: RequestFailure?
    /// The generated text, when the run keeps it (`--save-text`).
    public var text: String?

    public init(
        index: Int, intendedAt: Double, sentAt: Double?, finishedAt: Double?, inputTokens: Int,
        requestedOutputTokens: Int, outputTokens: Int, ttft: Double?, itl: [Double], latency: Double?,
        failure: RequestFailure?, text: String? = nil
    ) {
        self.index = index
        self.intendedAt = intendedAt
        self.sentAt = sentAt
        self.finishedAt = finishedAt
        self.inputTokens = inputTokens
        self.requestedOutputTokens = requestedOutputTokens
        self.outputTokens = outputTokens
        self.ttft = ttft
        self.itl = itl
        self.latency = latency
        self.failure = failure
        self.text = text
    }

    /// Whether the request completed.
    public var succeeded: Bool { failure == nil }

    /// Time between the intended and the actual send (waiting for a concurrency slot, client lag).
    public var sendDelay: Double? { sentAt.map { Swift.max(0, $0 - intendedAt) } }

    /// Time to first token from the intended send time.
    public var ttftFromIntended: Double? {
        guard let ttft, let sendDelay else { return nil }
        return ttft + sendDelay
    }

    /// End-to-end latency from the intended send time.
    public var latencyFromIntended: Double? {
        guard let latency, let sendDelay else { return nil }
        return latency + sendDelay
    }

    /// Time per output token after the first: `(latency - ttft) / (outputTokens - 1)`, as vLLM.
    public var tpot: Double? {
        guard succeeded, let latency, let ttft, outputTokens > 1 else { return nil }
        return (latency - ttft) / Double(outputTokens - 1)
    }
}
