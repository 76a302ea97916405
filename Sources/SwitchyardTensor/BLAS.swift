import COpenBLAS

/// Control of and facts about the OpenBLAS library every matmul runs through.
///
/// Router, workers and tests share few cores, so the thread count is always set deliberately
/// (`setThreads`) rather than left to OpenBLAS's default of one thread per core.
public enum BLAS {
    /// OpenBLAS's build configuration, e.g. "OpenBLAS 0.3.21 NO_AFFINITY Haswell MAX_THREADS=64".
    public static var configString: String {
        guard let config = openblas_get_config() else { return "unknown" }
        return String(cString: config)
    }

    /// The CPU kernel OpenBLAS selected at run time (e.g. "Haswell").
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The number of threads OpenBLAS uses for one call.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// Stops the thread pool OpenBLAS started when it loaded, whose threads poll for work with
    /// `sched_yield` for about 80 ms before they sleep (and again after every threaded call), and
    /// shortens that poll to 16 cycles unless `OPENBLAS_THREAD_TIMEOUT` is set. Call it first thing
    /// in a process, before any thread runs a BLAS product: on two cores the poll took a core from
    /// loading the model (SmolLM2 Q4_1 first token 0.143 s → 0.095 s). `setThreads` or the next
    /// threaded product starts the pool again, with the short poll.
    public static func stopPollingThreads() {
        _ = sy_openblas_stop_polling_threads()
    }

    /// The exponent of the cycles an OpenBLAS thread polls before it sleeps, as OpenBLAS last read
    /// it from `OPENBLAS_THREAD_TIMEOUT` (0: unset, OpenBLAS's default of 28).
    public static var pollExponent: Int { Int(openblas_thread_timeout()) }

    /// Sets the number of threads OpenBLAS uses for one call (at least 1).
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }
}
