import Foundation
import SwitchyardTensor

/// The one grouped-expert computation, shared by the in-process backend and by workers.
///
/// A call computes `output[t] = Σ weight[p] · FFN(expert(p))(row(p))` over the positions `p` whose
/// token is `t`. Positions come grouped by expert (segments of consecutive positions), so each
/// expert runs one gate-up and one down product over all of its rows. Three steps:
///
/// 1. **gather** each position's input row (the local backend gathers token rows; a worker's
///    dispatch rows arrive already grouped);
/// 2. **per-expert SwiGLU**: small groups (decode) run whole experts concurrently, one thread each,
///    largest first; large groups (prefill) or few experts run one after another, each product split
///    over the threads;
/// 3. **weighted scatter**: every token's positions are added in increasing position order (expert
///    order), rows split over the threads, so a token's sum does not depend on the thread count.
///
/// Scratch buffers come from a small pool, so two micro-batches may call concurrently and
/// steady-state calls allocate nothing.
public final class GroupedExperts: @unchecked Sendable {
    public let hiddenSize: Int
    private let lock = NSLock()
    private var pool: [GroupedExpertsScratch] = []

    /// Experts run concurrently (one thread each) only while every group has at most this many rows;
    /// larger groups (prefill) split each product over the threads instead.
    static let concurrentGroupLimit = 64

    public init(hiddenSize: Int) {
        self.hiddenSize = hiddenSize
    }

    /// Why a grouped computation cannot run.
    public enum PlanError: Error, Equatable, CustomStringConvertible {
        /// A position's output token is outside the output.
        case tokenOutOfRange(position: Int, token: Int, tokens: Int)
        /// The segments cover a different number of rows than the weights and token slots.
        case rowCountMismatch(segments: Int, weights: Int, tokens: Int)

        public var description: String {
            switch self {
            case let .tokenOutOfRange(position, token, tokens):
                "row \(position) goes to output token \(token), outside 0..<\(tokens)"
            case let .rowCountMismatch(segments, weights, tokens):
                "segments cover \(segments) rows, with \(weights) gate weights and \(tokens) token slots"
            }
        }
    }

    /// The in-process form: `routes` pick experts for the rows of `input`; `output` (resized to
    /// `routes.rows`) receives each row's weighted sum. `experts[e]` must be non-nil for every routed id.
    public func compute(routes: ExpertRoutes, input: Matrix, experts: [ExpertFFN?], output: Matrix, threads: Int) {
        output.resize(rows: routes.rows)
        guard routes.rows > 0 else { return }
        let scratch = takeScratch()
        defer { returnScratch(scratch) }
        scratch.plan(routes: routes, experts: experts.count)
        run(scratch, input: input.base, gathers: true, tokens: routes.rows, output: output.base, threads: threads) { experts[$0] }
    }

    /// The dispatch form (a worker): `rows` holds `Σ segment rows` input rows already grouped by
    /// segment; row `p` is weighted by `weights[p]` and added into output row `tokenSlots[p]` of the
    /// `tokens x hiddenSize` `output`. `expert(e)` must be non-nil for every segment's expert.
    public func compute<Segments: Sequence<(expert: Int, rows: Int)>>(
        segments: Segments, rows: UnsafePointer<Float>, weights: [Float], tokenSlots: [UInt32],
        tokens: Int, output: UnsafeMutablePointer<Float>, threads: Int,
        expert: (Int) -> ExpertFFN?
    ) throws(PlanError) {
        let scratch = takeScratch()
        defer { returnScratch(scratch) }
        try scratch.plan(segments: segments, weights: weights, tokenSlots: tokenSlots, tokens: tokens)
        run(scratch, input: rows, gathers: false, tokens: tokens, output: output, threads: threads, expert: expert)
    }

    private func run(
        _ scratch: GroupedExpertsScratch, input: UnsafePointer<Float>, gathers: Bool, tokens: Int,
        output: UnsafeMutablePointer<Float>, threads: Int, expert: (Int) -> ExpertFFN?
    ) {
        scratch.results.resize(rows: scratch.positions)
        let source: UnsafePointer<Float>
        if gathers {
            scratch.gathered.resize(rows: scratch.positions)
            source = UnsafePointer(scratch.gathered.base)
        } else {
            source = input
        }
        // Concurrent experts need small groups (each expert on one thread) and at least two experts
        // per thread, so that claiming can even out uneven groups or a preempted thread; otherwise
        // (batch 1 routes 2 experts) each product is split over the threads instead.
        let concurrent = threads > 1 && scratch.largestSegment <= Self.concurrentGroupLimit
            && scratch.segments.count >= 2 * threads
        if concurrent {
            scratch.sortSegmentsBySize()
            scratch.reserveWorkers(threads)
        }
        let perExpertThreads = concurrent ? 1 : threads
        func computeSegment(_ item: Int, _ worker: Int) {
            let segment = scratch.segments[item]
            guard let ffn = expert(segment.expert) else { return }
            if gathers { scratch.gather(input: input, positions: segment.start..<(segment.start + segment.rows), hidden: hiddenSize) }
            let buffers = scratch.buffers(worker: worker, rows: segment.rows, intermediate: ffn.intermediateSize)
            ffn.compute(input: source + segment.start * hiddenSize, rows: segment.rows,
                        output: scratch.results.row(segment.start),
                        hidden: buffers.hidden, activated: buffers.activated, threads: perExpertThreads)
        }
        if concurrent {
            ParallelFor.run(count: scratch.segments.count, threads: threads) { computeSegment($0, $1) }
        } else {
            for item in scratch.segments.indices { computeSegment(item, 0) }
        }
        scatter(scratch, tokens: tokens, output: output, threads: threads)
    }

    /// `output[t] = Σ weight · result` over token `t`'s positions, in increasing position order.
    private func scatter(_ scratch: GroupedExpertsScratch, tokens: Int, output: UnsafeMutablePointer<Float>, threads: Int) {
        let h = hiddenSize
        let rowsPerChunk = 16
        ParallelFor.run(count: (tokens + rowsPerChunk - 1) / rowsPerChunk, threads: threads) { chunk, _ in
            for token in (chunk * rowsPerChunk)..<min(tokens, (chunk + 1) * rowsPerChunk) {
                let out = output + token * h
                out.update(repeating: 0, count: h)
                for index in scratch.tokenOffsets[token]..<scratch.tokenOffsets[token + 1] {
                    let position = Int(scratch.tokenPositions[index])
                    VectorOps.addScaled(scratch.results.row(position), alpha: scratch.weights[position], into: out, count: h)
                }
            }
        }
    }

    private func takeScratch() -> GroupedExpertsScratch {
        lock.lock()
        defer { lock.unlock() }
        return pool.popLast() ?? GroupedExpertsScratch(hidden: hiddenSize)
    }

    private func returnScratch(_ scratch: GroupedExpertsScratch) {
        lock.lock()
        pool.append(scratch)
        lock.unlock()
    }
}
