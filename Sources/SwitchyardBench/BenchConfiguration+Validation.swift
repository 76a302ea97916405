extension BenchConfiguration {
    /// Rejects values and combinations that cannot make a meaningful run, before anything is sent.
    public func validate() throws(BenchInputError) {
        func check(_ ok: Bool, _ message: String) throws(BenchInputError) {
            if !ok { throw BenchInputError(message) }
        }
        try check((1...10_000_000).contains(numPrompts), "--num-prompts must be between 1 and 10000000")
        try check(requestRate > 0 && !requestRate.isNaN, "--request-rate must be a positive number or inf")
        try check(burstiness > 0 && burstiness.isFinite, "--burstiness must be a positive number")
        try check(burstiness == 1 || requestRate.isFinite || sweepHasFiniteRates,
                  "--burstiness shapes the gaps between arrivals, so it needs a finite --request-rate")
        if let maxConcurrency { try check(maxConcurrency >= 1, "--max-concurrency must be at least 1") }
        try check((1...10_000_000).contains(outputLength), "--output-len must be between 1 and 10000000")
        if case .random(let input, let ratio, let vocab) = prompts {
            try check((1...10_000_000).contains(input), "--input-len must be between 1 and 10000000")
            try check(ratio >= 0 && ratio < 1, "--range-ratio must be in [0, 1)")
            try check(vocab >= 1, "--vocab-size must be at least 1")
        }
        if case .file(let path) = prompts { try check(!path.isEmpty, "--prompt-file needs a path") }
        try check(temperature >= 0 && temperature.isFinite, "--temperature must be >= 0")
        try check(requestTimeout > 0 && requestTimeout.isFinite, "--timeout must be a positive number of seconds")
        try check(connectTimeout > 0 && connectTimeout.isFinite, "--connect-timeout must be a positive number of seconds")
        try check(readTimeout > 0 && readTimeout.isFinite, "--read-timeout must be a positive number of seconds")
        try check(maxDuration > 0 && maxDuration.isFinite, "--max-duration must be a positive number of seconds")
        if let model { try check(!model.isEmpty, "--model must not be empty") }
        if let goodput { try check(!goodput.isEmpty, "--goodput needs at least one objective") }
    }

    private var sweepHasFiniteRates: Bool {
        if case .rates(let rates) = sweep { return rates.allSatisfy(\.isFinite) }
        return false
    }
}

/// Which optional flags the user actually typed (defaults cannot tell "not given" from "given as default").
public struct ExplicitFlags: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let requestRate = ExplicitFlags(rawValue: 1 << 0)
    public static let maxConcurrency = ExplicitFlags(rawValue: 1 << 1)
    /// Any of `--input-len`, `--range-ratio`, `--vocab-size`.
    public static let randomPromptOptions = ExplicitFlags(rawValue: 1 << 2)
}

extension BenchConfiguration {
    /// Rejects flag combinations that contradict each other; call after `validate()`.
    public func checkCombinations(_ given: ExplicitFlags) throws(BenchInputError) {
        if case .file = prompts, given.contains(.randomPromptOptions) {
            throw BenchInputError("--prompt-file gives the prompts; --input-len, --range-ratio and --vocab-size apply only to random prompts")
        }
        switch sweep {
        case .rates where given.contains(.requestRate):
            throw BenchInputError("--sweep rate=... sets the request rate; drop --request-rate")
        case .concurrencies where given.contains(.maxConcurrency):
            throw BenchInputError("--sweep concurrency=... sets the concurrency; drop --max-concurrency")
        default:
            break
        }
    }
}
