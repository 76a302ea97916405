import SwitchyardTools
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

    @Option(help: "Model: a Hugging Face directory or a GGUF file; omit with --synthetic.")
    var model: String?

    @Flag(help: "Use random weights of the bench preset's shape instead of a checkpoint.")
    var synthetic = false

    @Option(help: "Comma-separated batch sizes.")
    var batch: String = "1,8,32,64"

    @Option(name: .customLong("prompt-len"), help: "Prompt tokens per sequence.")
    var promptLen: Int = 32

    @Option(name: .customLong("gen-len"), help: "Generated tokens per sequence (the first comes from the prefill).")
    var genLen: Int = 32

    @Option(help: "Compute threads (the packed kernels and OpenBLAS).")
    var threads: Int = 2

    @Option(help: "Runs per batch size: the table shows each metric's median over them and the best decode (a shared VM only ever slows a run down).")
    var `repeat`: Int = 1

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Option(name: .customLong("streaming-rows"), help: "Attention score products (queries · cached keys) with up to this many rows use the streaming kernel, more use OpenBLAS (0: OpenBLAS only). Weights always use the packed kernel.")
    var streamingRows: Int = GEMM.defaultStreamingRowLimit

    @Flag(help: "Instead of the engine: time A·Bᵀ on OpenBLAS, the streaming kernel and the packed kernel on the bench shapes.")
    var kernels = false

    @Option(name: .customLong("kernel-rows"), help: "Row counts for --kernels and --dispatch.")
    var kernelRows: String = "1,2,4,8,16,24,32,64"

    @Flag(help: "Instead of the engine: one expert dispatch's round trip to an in-process worker over ZeroMQ on loopback, against the same compute in-process and a raw ZeroMQ ping-pong of the same bytes (needs --model).")
    var dispatch = false

    @OptionGroup var weightFormat: WeightDTypeOptions

    func run() async throws {
        do {
            BLAS.setThreads(threads)
            guard streamingRows >= 0 else { throw EngineError.invalidArgument("--streaming-rows must be >= 0") }
            GEMM.streamingRowLimit = streamingRows
            let batches = try batch.split(separator: ",").map { part -> Int in
                guard let b = Int(part.trimmingCharacters(in: .whitespaces)), b > 0 else {
                    throw EngineError.invalidArgument("--batch takes positive integers like 1,8,32,64, got '\(part)'")
                }
                return b
            }
            guard !batches.isEmpty else { throw EngineError.invalidArgument("--batch needs at least one size") }
            guard (1...100).contains(`repeat`) else { throw EngineError.invalidArgument("--repeat must be between 1 and 100") }
            if kernels {
                try runKernels(rows: try parseRows())
                return
            }
            if dispatch {
                guard let model else { throw EngineError.invalidArgument("--dispatch needs --model DIR") }
                DispatchBenchmark.printTable(try await DispatchBenchmark.run(directory: URL(fileURLWithPath: model),
                                                                             rows: try parseRows(), iterations: 200))
                return
            }
            weightFormat.applyRepack(automatic: true)
            let engine: Engine
            let loadStarted = ContinuousClock.now
            if let model {
                engine = try Engine.load(directory: URL(fileURLWithPath: model), dtypes: try weightFormat.parsed())
            } else if synthetic {
                engine = try Engine.synthetic(config: EngineBenchmark.benchConfig)
            } else {
                throw EngineError.invalidArgument("give --model DIR (or --synthetic for random bench-shaped weights)")
            }
            let load = LoadFigures(seconds: (ContinuousClock.now - loadStarted).seconds,
                                   weightBytes: engine.weights.byteCount + ((engine.experts as? LocalExpertBackend)?.byteCount ?? 0),
                                   kvBytesPerToken: KVCache.bytesPerToken(engine.config),
                                   expandedKVBytesPerToken: KVCache.expandedBytesPerToken(engine.config))
            let sgemm = MachineLimits.sgemmGFLOPS()
            let memory = MachineLimits.memoryReadGBS(threads: threads)
            _ = try await EngineBenchmark.run(engine: engine, batch: 1, promptLength: 4, genLength: 2)  // warm-up
            var results: [PerfRuns] = []
            for b in batches {
                var runs: [EngineBenchmark.Result] = []
                for _ in 0..<`repeat` {
                    runs.append(try await EngineBenchmark.run(engine: engine, batch: b, promptLength: promptLen, genLength: genLen))
                }
                results.append(PerfRuns(runs))
            }
            if json {
                printJSON(results, sgemm: sgemm, memory: memory, load: load)
            } else {
                printTable(results, sgemm: sgemm, memory: memory, load: load)
            }
        } catch let error as ExitCode {
            throw error
        } catch {
            printError("perf: \(error)")
            throw ExitCode(1)
        }
    }

    private func parseRows() throws -> [Int] {
        try kernelRows.split(separator: ",").map { part -> Int in
            guard let r = Int(part.trimmingCharacters(in: .whitespaces)), r > 0 else {
                throw EngineError.invalidArgument("--kernel-rows takes positive integers like 1,8,16, got '\(part)'")
            }
            return r
        }
    }

    private func runKernels(rows: [Int]) throws {
        let results = KernelBenchmark.run(rows: rows, threads: threads)
        print("A·Bᵀ, \(threads) threads, streaming kernel \(StreamingGEMM.usesAVX2 ? "AVX2+FMA" : "portable"), packed kernel \(PackedWeight.kernelDescription); weights rotate past the caches")
        print("GFLOP/s (weight GB/s); the engine multiplies every weight through the packed kernel")
        print("rows      n      k  OpenBLAS  streaming (   GB/s)  packed (   GB/s)  packed/OpenBLAS  packed/streaming")
        for r in results {
            print(String(format: "%4d  %5d  %5d  %8.1f  %9.1f (%7.1f)  %6.1f (%7.1f)  %15.2f  %16.2f", r.rows, r.n, r.k,
                         r.blasGFLOPS, r.streamingGFLOPS, r.streamingWeightGBS, r.packedGFLOPS, r.packedWeightGBS,
                         r.packedGFLOPS / r.blasGFLOPS, r.packedGFLOPS / r.streamingGFLOPS))
        }
    }

    /// How long the model took to load, the bytes of weights it holds (in the formats loaded), and
    /// the KV cache one token takes over all layers: as cached (an MLA latent) and expanded per head.
    struct LoadFigures {
        var seconds: Double
        var weightBytes: Int
        var kvBytesPerToken: Int
        var expandedKVBytesPerToken: Int
    }

    private func printTable(_ results: [PerfRuns], sgemm: Double, memory: Double, load: LoadFigures) {
        print(String(format: "machine: sgemm %.1f GFLOP/s, memory read %.1f GB/s (%d threads)", sgemm, memory, threads))
        print(String(format: "model: loaded in %.2f s, %.1f MB of weights", load.seconds, Double(load.weightBytes) / 1e6))
        if load.expandedKVBytesPerToken != load.kvBytesPerToken {
            print("KV cache: \(load.kvBytesPerToken) bytes per token (MLA latent), \(load.expandedKVBytesPerToken) with keys and values per head ("
                  + String(format: "%.1fx", Double(load.expandedKVBytesPerToken) / Double(load.kvBytesPerToken)) + " less)")
        } else {
            print("KV cache: \(load.kvBytesPerToken) bytes per token")
        }
        if `repeat` > 1 { print("each number is the median of \(`repeat`) runs; best decode and every run's decode follow") }
        print("batch  prefill tok/s  (GFLOP/s, %sgemm)  decode tok/s  (GFLOP/s, %sgemm)  (weights GB/s, %mem)  end-to-end output tok/s")
        for runs in results {
            let r = runs.median
            print(String(format: "%5d  %13.1f  (%7.1f, %5.1f%%)  %12.1f  (%7.1f, %5.1f%%)  (%6.1f, %5.1f%%)  %23.1f",
                         r.batch, r.prefillTokensPerSecond, r.prefillGFLOPS, 100 * r.prefillGFLOPS / sgemm,
                         r.decodeTokensPerSecond, r.decodeGFLOPS, 100 * r.decodeGFLOPS / sgemm,
                         r.decodeWeightGBS, 100 * r.decodeWeightGBS / memory, r.endToEndTokensPerSecond))
            if `repeat` > 1 {
                let all = runs.runs.map { String(format: "%.1f", $0.decodeTokensPerSecond) }.joined(separator: ", ")
                print(String(format: "       best decode %.1f tok/s; runs: %@", runs.bestDecode, all))
            }
        }
    }

    private func printJSON(_ results: [PerfRuns], sgemm: Double, memory: Double, load: LoadFigures) {
        func f(_ x: Double) -> String { String(format: "%.3f", x) }
        func list(_ values: [Double]) -> String { "[" + values.map(f).joined(separator: ", ") + "]" }
        let rows = results.map { runs in
            let r = runs.median
            return "{\"batch\": \(r.batch), \"prefill_tok_s\": \(f(r.prefillTokensPerSecond)), \"decode_tok_s\": \(f(r.decodeTokensPerSecond)), "
                + "\"prefill_gflops\": \(f(r.prefillGFLOPS)), \"decode_gflops\": \(f(r.decodeGFLOPS)), "
                + "\"decode_weight_gbs\": \(f(r.decodeWeightGBS)), \"e2e_output_tok_s\": \(f(r.endToEndTokensPerSecond)), "
                + "\"prefill_sgemm_fraction\": \(f(r.prefillGFLOPS / sgemm)), \"decode_sgemm_fraction\": \(f(r.decodeGFLOPS / sgemm)), "
                + "\"decode_mem_fraction\": \(f(r.decodeWeightGBS / memory)), \"runs\": \(runs.runs.count), "
                + "\"decode_tok_s_best\": \(f(runs.bestDecode)), \"decode_tok_s_runs\": \(list(runs.runs.map(\.decodeTokensPerSecond))), "
                + "\"prefill_tok_s_runs\": \(list(runs.runs.map(\.prefillTokensPerSecond)))}"
        }
        print("{\"results\": [\(rows.joined(separator: ", "))], \"limits\": {\"sgemm_gflops\": \(f(sgemm)), \"mem_read_gbs\": \(f(memory)), \"threads\": \(threads)}, "
              + "\"load_s\": \(f(load.seconds)), \"weight_bytes\": \(load.weightBytes), \"kv_bytes_per_token\": \(load.kvBytesPerToken), "
              + "\"kv_bytes_per_token_expanded\": \(load.expandedKVBytesPerToken)}")
    }
}

/// The runs of one batch size and their per-metric medians.
struct PerfRuns {
    let runs: [EngineBenchmark.Result]

    init(_ runs: [EngineBenchmark.Result]) {
        precondition(!runs.isEmpty)
        self.runs = runs
    }

    /// Each metric's median over the runs (the middle value, or the mean of the middle two).
    var median: EngineBenchmark.Result {
        func m(_ metric: (EngineBenchmark.Result) -> Double) -> Double {
            let sorted = runs.map(metric).sorted()
            let mid = sorted.count / 2
            return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
        }
        return EngineBenchmark.Result(
            batch: runs[0].batch,
            prefillTokensPerSecond: m(\.prefillTokensPerSecond), decodeTokensPerSecond: m(\.decodeTokensPerSecond),
            prefillGFLOPS: m(\.prefillGFLOPS), decodeGFLOPS: m(\.decodeGFLOPS), decodeWeightGBS: m(\.decodeWeightGBS),
            endToEndTokensPerSecond: m(\.endToEndTokensPerSecond))
    }

    var bestDecode: Double { runs.map(\.decodeTokensPerSecond).max()! }
}
