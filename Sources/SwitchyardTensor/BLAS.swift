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

    /// Sets the number of threads OpenBLAS uses for one call (at least 1).
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }
}
