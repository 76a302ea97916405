import ArgumentParser
import Foundation
import SwitchyardModel
import SwitchyardTensor

/// `switchyard perf`: the engine benchmark, with the machine's own limits measured in the same run.
struct PerfCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perf",
        abstract: "Measure prefill and decode tokens/s per batch size against the machine's sgemm and memory limits."
    )

    @Option(help: "Hugging Face model directory; omit with --synthetic.")
    var model: String?

    @Flag(help: "Use random weights of the bench preset's shape instead of a checkpoint.")
    var synthetic = false

    @Option(help: "Comma-separated batch sizes.")
    var batch: String = "1,8,32,64"

    @Option(name: .customLong("prompt-len"), help: "Prompt tokens per sequence.")
    var promptLen: Int = 32

    @Option(name: .customLong("gen-len"), help: "Generated tokens per sequence (the first comes from the prefill).")
    var genLen: Int = 32

    @Option(help: "OpenBLAS threads.")
    var threads: Int = 2

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func run() async throws {
        do {
            BLAS.setThreads(threads)
            let batches = try batch.split(separator: ",").map { part -> Int in
                guard let b = Int(part.trimmingCharacters(in: .whitespaces)), b > 0 else {
                    throw EngineError.invalidArgument("--batch takes positive integers like 1,8,32,64, got '\(part)'")
                }
                return b
            }
            guard !batches.isEmpty else { throw EngineError.invalidArgument("--batch needs at least one size") }
            let engine: Engine
            if let model {
                engine = try Engine.load(directory: URL(fileURLWithPath: model))
            } else if synthetic {
                engine = try Engine.synthetic(config: EngineBenchmark.benchConfig)
            } else {
                throw EngineError.invalidArgument("give --model DIR (or --synthetic for random bench-shaped weights)")
            }
            let sgemm = MachineLimits.sgemmGFLOPS()
            let memory = MachineLimits.memoryReadGBS(threads: threads)
            _ = try await EngineBenchmark.run(engine: engine, batch: 1, promptLength: 4, genLength: 2)  // warm-up
            var results: [EngineBenchmark.Result] = []
            for b in batches {
                results.append(try await EngineBenchmark.run(engine: engine, batch: b, promptLength: promptLen, genLength: genLen))
            }
            if json {
                printJSON(results, sgemm: sgemm, memory: memory)
            } else {
                printTable(results, sgemm: sgemm, memory: memory)
            }
        } catch let error as ExitCode {
            throw error
        } catch {
            printError("perf: \(error)")
            throw ExitCode(1)
        }
    }

    private func printTable(_ results: [EngineBenchmark.Result], sgemm: Double, memory: Double) {
        print(String(format: "machine: sgemm %.1f GFLOP/s, memory read %.1f GB/s (%d BLAS threads)", sgemm, memory, threads))
        print("batch  prefill tok/s  (GFLOP/s, %sgemm)  decode tok/s  (GFLOP/s, %sgemm)  (weights GB/s, %mem)")
        for r in results {
            print(String(format: "%5d  %13.1f  (%7.1f, %5.1f%%)  %12.1f  (%7.1f, %5.1f%%)  (%6.1f, %5.1f%%)",
                         r.batch, r.prefillTokensPerSecond, r.prefillGFLOPS, 100 * r.prefillGFLOPS / sgemm,
                         r.decodeTokensPerSecond, r.decodeGFLOPS, 100 * r.decodeGFLOPS / sgemm,
                         r.decodeWeightGBS, 100 * r.decodeWeightGBS / memory))
        }
    }

    private func printJSON(_ results: [EngineBenchmark.Result], sgemm: Double, memory: Double) {
        func f(_ x: Double) -> String { String(format: "%.3f", x) }
        let rows = results.map { r in
            "{\"batch\": \(r.batch), \"prefill_tok_s\": \(f(r.prefillTokensPerSecond)), \"decode_tok_s\": \(f(r.decodeTokensPerSecond)), "
                + "\"prefill_gflops\": \(f(r.prefillGFLOPS)), \"decode_gflops\": \(f(r.decodeGFLOPS)), "
                + "\"decode_weight_gbs\": \(f(r.decodeWeightGBS)), "
                + "\"prefill_sgemm_fraction\": \(f(r.prefillGFLOPS / sgemm)), \"decode_sgemm_fraction\": \(f(r.decodeGFLOPS / sgemm)), "
                + "\"decode_mem_fraction\": \(f(r.decodeWeightGBS / memory))}"
        }
        print("{\"results\": [\(rows.joined(separator: ", "))], \"limits\": {\"sgemm_gflops\": \(f(sgemm)), \"mem_read_gbs\": \(f(memory)), \"threads\": \(threads)}}")
    }
}
