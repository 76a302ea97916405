import SwitchyardTools
import Foundation
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

@Suite("up flags")
struct UpFlagsTests {
    @Test func threadsAndMicroBatchesDefaultToTheSharedCoreSetup() throws {
        let model = FileManager.default.temporaryDirectory.appendingPathComponent("up-flags-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: model) }
        try Data("{}".utf8).write(to: model.appendingPathComponent("config.json"))
        let up = try UpCommand.parse(["--model", model.path, "--workers", "3"])
        #expect(up.routerThreads == nil && up.workerThreads == nil)  // resolved from the core count at run time
        #expect(up.microBatches == 1)
        #expect(try UpCommand.parse(["--model", model.path, "--micro-batches", "2", "--router-threads", "4"]).microBatches == 2)
    }

    @Test(arguments: [(["--micro-batches", "0"], "--micro-batches must be between 1 and 8"),
                      (["--micro-batches", "9"], "--micro-batches must be between 1 and 8"),
                      (["--router-threads", "0"], "--router-threads must be between 1 and 256"),
                      (["--worker-threads", "0"], "--worker-threads must be between 1 and 256"),
                      (["--expert-slices", "0"], "--expert-slices must be between 1 and 64")])
    func badValuesAreRejectedWithTheFlagsName(flags: [String], message: String) {
        do {
            _ = try UpCommand.parse(["--model", "/nonexistent"] + flags)
            Issue.record("\(flags) was accepted")
        } catch {
            #expect(UpCommand.message(for: error).contains(message), "\(UpCommand.message(for: error))")
        }
    }

    /// Router and worker refuse a slice count outside 1...64 before loading anything.
    @Test(arguments: ["0", "65"])
    func badExpertSlicesAreRejectedByRouterAndWorker(value: String) {
        for (parse, message) in [
            ({ _ = try RouterCommand.parse(["--model", "/nonexistent", "--expert-slices", value]) }, { RouterCommand.message(for: $0) }),
            ({ _ = try WorkerCommand.parse(["--router", "tcp://127.0.0.1:5555", "--model", "/nonexistent", "--expert-slices", value]) },
             { WorkerCommand.message(for: $0) }),
        ] as [(() throws -> Void, (any Error) -> String)] {
            do {
                try parse()
                Issue.record("--expert-slices \(value) was accepted")
            } catch {
                #expect(message(error).contains("--expert-slices must be between 1 and 64"), "\(message(error))")
            }
        }
    }
}
