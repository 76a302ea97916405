import Testing
import SwitchyardModel
@testable import switchyard

@Suite("perf --repeat summaries")
struct PerfRunsTests {
    func result(decode: Double, prefill: Double) -> EngineBenchmark.Result {
        EngineBenchmark.Result(batch: 8, prefillTokensPerSecond: prefill, decodeTokensPerSecond: decode, prefillGFLOPS: prefill / 10,
                               decodeGFLOPS: decode / 10, decodeWeightGBS: 1, endToEndTokensPerSecond: decode / 2)
    }

    @Test func oddRunCountsTakeTheMiddleValueOfEachMetric() {
        let runs = PerfRuns([result(decode: 30, prefill: 100), result(decode: 10, prefill: 300), result(decode: 20, prefill: 200)])
        #expect(runs.median.decodeTokensPerSecond == 20)
        #expect(runs.median.prefillTokensPerSecond == 200)
        #expect(runs.median.endToEndTokensPerSecond == 10)
        #expect(runs.median.batch == 8)
        #expect(runs.bestDecode == 30)
    }

    @Test func evenRunCountsAverageTheMiddleTwo() {
        let runs = PerfRuns([result(decode: 40, prefill: 1), result(decode: 10, prefill: 2), result(decode: 20, prefill: 3), result(decode: 30, prefill: 4)])
        #expect(runs.median.decodeTokensPerSecond == 25)
        #expect(runs.median.prefillTokensPerSecond == 2.5)
        #expect(runs.bestDecode == 40)
    }

    @Test func repeatParsesAndDefaultsToOne() throws {
        #expect(try PerfCommand.parse(["--synthetic"]).repeat == 1)
        #expect(try PerfCommand.parse(["--synthetic", "--repeat", "5"]).repeat == 5)
    }
}
