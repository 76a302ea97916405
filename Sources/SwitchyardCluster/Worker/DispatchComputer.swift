import SwitchyardModel
import SwitchyardTensor
import SwitchyardWire

/// Computes one dispatch with `GroupedExperts` (the computation `serve` runs in-process): each
/// segment's rows through its expert, then the gate-weighted sum per token slot, into a pooled
/// reply buffer.
///
/// Single owner (the compute thread): the input copy grows to the largest dispatch seen and is
/// reused, so steady-state dispatches allocate nothing but the (pooled) reply.
final class DispatchComputer: @unchecked Sendable {
    let hiddenSize: Int
    /// Threads for one dispatch's experts (concurrent experts in decode, split products in prefill).
    let threads: Int
    private let input: Matrix
    private let grouped: GroupedExperts
    private let pool = ReplyBufferPool()

    init(hiddenSize: Int, threads: Int) {
        self.hiddenSize = hiddenSize
        self.threads = max(1, threads)
        input = Matrix(rows: 0, cols: hiddenSize)
        grouped = GroupedExperts(hiddenSize: hiddenSize)
    }

    /// The combined `tokenCount x hiddenSize` rows in the dispatch's dtype (f32 or bf16), or the reason the dispatch cannot be served.
    /// `header` and `rows` must have passed `WireDecoder` (shape and model ranges checked).
    func compute(_ header: Switchyard_V1_DispatchHeader, rows: TensorBytes, store: ExpertStore) -> Result<TensorBytes, DispatchFailure> {
        let h = hiddenSize
        guard Int(header.hiddenSize) == h else {
            return .failure(DispatchFailure("dispatch hidden size \(header.hiddenSize), model has \(h)"))
        }
        let layer = Int(header.layer)
        var missing: [Int] = []
        for segment in header.segments where store.expert(layer: layer, expert: Int(segment.expert)) == nil {
            missing.append(Int(segment.expert))
        }
        guard missing.isEmpty else {
            return .failure(DispatchFailure("experts \(missing.map { "L\(layer)E\($0)" }.joined(separator: ",")) are not held by this worker"))
        }
        let total = Int(header.totalRows)
        guard rows.count == total * h * (header.dtype.elementSize ?? 0) else {
            return .failure(DispatchFailure("rows frame is \(rows.count) bytes for \(total) rows of \(h) \(header.dtype.wireName)"))
        }
        let source: UnsafePointer<Float>
        if header.dtype == .f32, let base = rows.baseAddress, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
            // Received frames are normally aligned: compute straight from libzmq's buffer.
            source = base.assumingMemoryBound(to: Float.self)
        } else {
            input.resize(rows: total)
            do {
                try rows.copyElements(as: header.dtype, into: UnsafeMutableBufferPointer(start: input.base, count: total * h))
            } catch {
                return .failure(DispatchFailure("\(error)"))
            }
            source = UnsafePointer(input.base)
        }
        let reply = pool.take(floats: Int(header.tokenCount) * h)
        guard let output = reply.pointer.baseAddress else { return .success(reply.tensorBytes) }
        do {
            try withExtendedLifetime(rows) {
                try grouped.compute(
                    segments: header.segments.lazy.map { (expert: Int($0.expert), rows: Int($0.rows)) },
                    rows: source, weights: header.gateWeights, tokenSlots: header.tokenSlots,
                    tokens: Int(header.tokenCount), output: output, threads: threads
                ) { store.expert(layer: layer, expert: $0) }
            }
        } catch {
            return .failure(DispatchFailure("\(error)"))
        }
        return .success(header.dtype == .bf16 ? reply.bf16TensorBytes() : reply.tensorBytes)
    }
}

/// Why a dispatch could not be computed; sent back as `DispatchReply.failure`.
struct DispatchFailure: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
