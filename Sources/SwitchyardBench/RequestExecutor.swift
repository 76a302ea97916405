import NIOCore

/// Sends one completion request and turns what happens into a `RequestRecord`; never throws.
public struct RequestExecutor: Sendable {
    /// Bytes of an error body kept for the message.
    static let errorBodyLimit = 4096
    /// Largest non-streamed body accepted.
    static let bodyLimit = 64 << 20

    public let client: BenchHTTPClient
    public let model: String
    public let configuration: BenchConfiguration

    public init(client: BenchHTTPClient, model: String, configuration: BenchConfiguration) {
        self.client = client
        self.model = model
        self.configuration = configuration
    }

    /// Runs request `index` now; `intendedAt` is its scheduled time on `clock`.
    public func run(index: Int, prompt: BenchPrompt, intendedAt: Double, clock: RunClock) async -> RequestRecord {
        let body = CompletionRequestBody(
            model: model, prompt: prompt.content, maxTokens: prompt.outputTokens,
            temperature: configuration.temperature, stream: configuration.stream, ignoreEOS: configuration.ignoreEOS,
            endpoint: configuration.endpoint
        ).bytes()
        let spec = HTTPRequestSpec(
            method: .POST, path: client.url.path(configuration.endpoint.path), body: body,
            accept: configuration.stream ? "text/event-stream" : "application/json"
        )
        let timeouts = HTTPTimeouts(
            connect: configuration.connectTimeout, read: configuration.readTimeout, total: configuration.requestTimeout
        )
        let stream = configuration.stream
        var accumulator = CompletionStreamAccumulator(keepText: configuration.saveText)
        var parser = SSEParser()
        var events: [SSEEvent] = []
        var status = 0
        var contentType = ""
        var kept: [UInt8] = []
        var failure: RequestFailure?
        let sentAt = clock.now()
        do {
            try await client.execute(spec, timeouts: timeouts) { event in
                switch event {
                case .head(let code, let headers):
                    status = code
                    contentType = headers.first(name: "content-type") ?? ""
                case .body(let buffer, let receivedAt):
                    let t = clock.seconds(at: receivedAt)
                    if status != 200 {
                        kept.append(contentsOf: buffer.readableBytesView.prefix(Self.errorBodyLimit - kept.count))
                    } else if stream {
                        do {
                            try parser.feed(buffer.readableBytesView, into: &events)
                        } catch {
                            throw RequestFailure(.malformedStream, "stream line longer than \(parser.maxLineBytes) bytes")
                        }
                        for e in events { try accumulator.consume(e, at: t) }
                        events.removeAll(keepingCapacity: true)
                    } else {
                        guard kept.count + buffer.readableBytes <= Self.bodyLimit else {
                            throw RequestFailure(.malformedStream, "response body larger than \(Self.bodyLimit) bytes")
                        }
                        kept.append(contentsOf: buffer.readableBytesView)
                    }
                case .end:
                    break
                }
            }
            let end = clock.now()
            if status != 200 {
                let text = String(decoding: kept, as: UTF8.self).trimmingPrefix(while: { $0.isWhitespace })
                failure = RequestFailure(.httpStatus, "HTTP \(status)\(text.isEmpty ? "" : ": " + String(text.prefix(300)))", status: status)
            } else if stream {
                if let last = parser.finish() { try accumulator.consume(last, at: end) }
                do {
                    try accumulator.validateComplete()
                } catch {
                    let hint = contentType.lowercased().contains("text/event-stream") ? "" : " (content-type '\(contentType)', expected text/event-stream)"
                    throw RequestFailure(error.kind, error.message + hint)
                }
            } else {
                try accumulator.consumeBody(kept, at: end)
            }
            return record(index, prompt, intendedAt, sentAt, end, accumulator, failure)
        } catch let error as RequestFailure {
            failure = error
        } catch let error as HTTPClientError {
            failure = Self.failure(for: error)
        } catch is CancellationError {
            failure = RequestFailure(.aborted, "stopped in flight: the run ended (time limit or interrupt)")
        } catch {
            failure = RequestFailure(.connectionLost, "\(error)")
        }
        if Task.isCancelled, failure != nil {
            failure = RequestFailure(.aborted, "stopped in flight: the run ended (time limit or interrupt)")
        }
        return record(index, prompt, intendedAt, sentAt, clock.now(), accumulator, failure)
    }

    /// Maps a transport error to its failure kind.
    static func failure(for error: HTTPClientError) -> RequestFailure {
        switch error {
        case .connect: RequestFailure(.connect, error.description)
        case .totalTimeout, .readTimeout: RequestFailure(.timeout, error.description)
        case .connectionLost: RequestFailure(.connectionLost, error.description)
        case .invalidResponse: RequestFailure(.malformedStream, error.description)
        }
    }

    private func record(
        _ index: Int, _ prompt: BenchPrompt, _ intendedAt: Double, _ sentAt: Double, _ end: Double,
        _ acc: CompletionStreamAccumulator, _ failure: RequestFailure?
    ) -> RequestRecord {
        let latency = end - sentAt
        let ttft: Double? = configuration.stream ? acc.firstTokenTime.map { $0 - sentAt } : (failure == nil ? latency : nil)
        return RequestRecord(
            index: index, intendedAt: intendedAt, sentAt: sentAt, finishedAt: end,
            inputTokens: prompt.knownInputTokens ?? acc.usagePromptTokens ?? 0,
            requestedOutputTokens: prompt.outputTokens,
            outputTokens: configuration.stream || acc.usageCompletionTokens != nil || failure != nil
                ? acc.outputTokens : prompt.outputTokens,
            ttft: ttft, itl: acc.interTokenGaps,
            latency: failure == nil ? latency : nil, failure: failure,
            text: configuration.saveText ? acc.text : nil
        )
    }
}
