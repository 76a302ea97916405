/// How many rows a dispatch may have for the worker's I/O thread to compute it itself.
///
/// Starts from a FLOP budget (`WorkerConfiguration.inlineComputeFLOPs`: rows x 6 x hidden x the
/// widest intermediate size) and shrinks when an inline dispatch took longer than the pause the
/// caller allows (a tenth of the heartbeat interval the router asked for): a slow kernel path (the portable C one, a CPU shared with other work) must not hold heartbeats
/// back. It never grows again: a worker that once paused too long stays conservative.
///
/// Pure: the reactor thread owns it and reports every inline dispatch's duration.
struct InlineDispatchLimit: Sendable, Equatable {
    /// Dispatches of at most this many rows (expert copies) may be computed inline; 0 = none.
    private(set) var rows: Int
    init(flops: Int, hiddenSize: Int, widestIntermediate: Int) {
        rows = max(0, flops) / max(1, 6 * hiddenSize * widestIntermediate)
    }

    /// Whether a dispatch of `dispatchRows` rows may run inline.
    func allows(_ dispatchRows: Int) -> Bool { dispatchRows <= rows }

    /// An inline dispatch of `dispatchRows` rows took `elapsed`: past `maxPause` (the longest the
    /// I/O thread may be kept from its socket), the limit drops to the rows that would have fit at
    /// that speed, at most half the dispatch.
    mutating func observed(rows dispatchRows: Int, elapsed: Duration, maxPause: Duration) {
        guard elapsed > maxPause, dispatchRows > 0 else { return }
        let fitting = Int(Double(dispatchRows) * (maxPause / elapsed))
        rows = min(rows, min(fitting, dispatchRows / 2))
    }
}
