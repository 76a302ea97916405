/// How far a run has got, for progress displays.
public struct ProgressSnapshot: Sendable, Equatable {
    public var finished: Int
    public var failed: Int
    public var total: Int
    /// Seconds since the run started.
    public var elapsed: Double

    public init(finished: Int, failed: Int, total: Int, elapsed: Double) {
        self.finished = finished
        self.failed = failed
        self.total = total
        self.elapsed = elapsed
    }
}

/// Receives progress while a run goes; called from one task at a time.
public typealias ProgressHandler = @Sendable (ProgressSnapshot) -> Void
