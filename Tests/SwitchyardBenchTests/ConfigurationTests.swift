import Testing
@testable import SwitchyardBench

@Suite("Configuration and flag parsing")
struct ConfigurationTests {
    static let url = try! BenchURL(parsing: "http://127.0.0.1:8000")

    @Test("URLs: host, port, prefix; https and junk are rejected")
    func urls() throws {
        let u = try BenchURL(parsing: "http://localhost:9000/v1/")
        #expect(u.host == "localhost" && u.port == 9000 && u.prefix == "")
        #expect(u.path("/v1/completions") == "/v1/completions")
        let p = try BenchURL(parsing: "http://127.0.0.2/proxy")
        #expect(p.port == 80 && p.path("/v1/models") == "/proxy/v1/models")
        let v6 = try BenchURL(parsing: "http://[::1]:8000")
        #expect(v6.host == "::1" && v6.hostHeader == "[::1]:8000")
        for bad in ["https://x:1", "ftp://x", "localhost:8000", "http://", "http://x:1?a=b", "not a url"] {
            #expect(throws: BenchInputError.self, "\(bad)") { try BenchURL(parsing: bad) }
        }
    }

    @Test("invalid values and combinations are rejected with a message", arguments: [
        (BenchConfiguration(url: ConfigurationTests.url, numPrompts: 0), "--num-prompts"),
        (BenchConfiguration(url: ConfigurationTests.url, requestRate: -1), "--request-rate"),
        (BenchConfiguration(url: ConfigurationTests.url, requestRate: .nan), "--request-rate"),
        (BenchConfiguration(url: ConfigurationTests.url, burstiness: 0), "--burstiness"),
        (BenchConfiguration(url: ConfigurationTests.url, burstiness: 0.5), "finite --request-rate"),
        (BenchConfiguration(url: ConfigurationTests.url, maxConcurrency: 0), "--max-concurrency"),
        (BenchConfiguration(url: ConfigurationTests.url, prompts: .random(inputLength: 0, rangeRatio: 0, vocabSize: 5)), "--input-len"),
        (BenchConfiguration(url: ConfigurationTests.url, prompts: .random(inputLength: 5, rangeRatio: 1, vocabSize: 5)), "--range-ratio"),
        (BenchConfiguration(url: ConfigurationTests.url, prompts: .random(inputLength: 5, rangeRatio: 0, vocabSize: 0)), "--vocab-size"),
        (BenchConfiguration(url: ConfigurationTests.url, outputLength: 0), "--output-len"),
        (BenchConfiguration(url: ConfigurationTests.url, requestTimeout: 0), "--timeout"),
        (BenchConfiguration(url: ConfigurationTests.url, maxDuration: .infinity), "--max-duration"),
        (BenchConfiguration(url: ConfigurationTests.url, model: ""), "--model"),
    ])
    func rejects(config: BenchConfiguration, fragment: String) {
        do {
            try config.validate()
            Issue.record("expected rejection mentioning \(fragment)")
        } catch {
            #expect(error.message.contains(fragment), "\(error.message)")
        }
    }

    @Test("defaults validate; burstiness is fine with a finite rate or a rate sweep")
    func accepts() throws {
        try BenchConfiguration(url: Self.url).validate()
        try BenchConfiguration(url: Self.url, requestRate: 4, burstiness: 0.5, maxConcurrency: 2).validate()
        try BenchConfiguration(url: Self.url, burstiness: 0.5, sweep: .rates([1, 2])).validate()
    }

    @Test("sweeps parse and expand to points")
    func sweeps() throws {
        let rates = try Sweep(parsing: "rate=1,2.5,inf")
        #expect(rates == .rates([1, 2.5, .infinity]))
        let caps = try Sweep(parsing: "concurrency=1, 8")
        #expect(caps == .concurrencies([1, 8]))
        let points = BenchConfiguration(url: Self.url, sweep: caps).points
        #expect(points.map(\.maxConcurrency) == [1, 8])
        #expect(points.allSatisfy { $0.sweep == nil })
        for bad in ["1,2", "rate=", "rate=0", "concurrency=1.5", "speed=1", "rate=a"] {
            #expect(throws: BenchInputError.self, "\(bad)") { try Sweep(parsing: bad) }
        }
    }

    @Test("goodput objectives parse; bad ones are rejected")
    func goodputParsing() throws {
        #expect(try GoodputSLO(parsing: ["ttft:500", "tpot:50"]) == GoodputSLO(ttftMs: 500, tpotMs: 50))
        #expect(try GoodputSLO(parsing: ["ttft:1 e2el:2"]) == GoodputSLO(ttftMs: 1, e2elMs: 2))
        for bad in [["ttft"], ["ttft:-1"], ["foo:1"], []] {
            #expect(throws: BenchInputError.self, "\(bad)") { try GoodputSLO(parsing: bad) }
        }
    }
}

@Suite("Flag combinations")
struct FlagCombinationTests {
    @Test("contradicting flags are rejected; compatible ones pass")
    func combinations() throws {
        let url = ConfigurationTests.url
        let file = BenchConfiguration(url: url, prompts: .file(path: "p.jsonl"))
        #expect(throws: BenchInputError.self) { try file.checkCombinations([.randomPromptOptions]) }
        try file.checkCombinations([.requestRate, .maxConcurrency])
        let rates = BenchConfiguration(url: url, sweep: .rates([1, 2]))
        #expect(throws: BenchInputError.self) { try rates.checkCombinations([.requestRate]) }
        try rates.checkCombinations([.maxConcurrency])
        let caps = BenchConfiguration(url: url, sweep: .concurrencies([1, 2]))
        #expect(throws: BenchInputError.self) { try caps.checkCombinations([.maxConcurrency]) }
        try caps.checkCombinations([.requestRate, .randomPromptOptions])
    }
}
