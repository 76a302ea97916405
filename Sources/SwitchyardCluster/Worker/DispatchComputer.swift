import SwitchyardModel
import SwitchyardTensor
import SwitchyardWire

/// Computes one dispatch: each segment's rows through its expert (one grouped FFN call per
/// expert), then the gate-weighted sum per token slot (`combineRows`), into a reply buffer.
///
/// Single owner (the compute thread): the scratch matrices grow to the largest dispatch seen and
/// are reused, so steady-state dispatches allocate nothing but the (pooled) reply.
final class DispatchComputer: @unchecked Sendable {
    let hiddenSize: Int
    private let input: Matrix
    private let results: Matrix
    private let hidden = Matrix(rows: 0, cols: 1)
    private let activated = Matrix(rows: 0, cols: 1)
    private let pool = ReplyBufferPool()

    init(hiddenSize: Int) {
        self.hiddenSize = hiddenSize
        input = Matrix(rows: 0, cols: hiddenSize)
        results = Matrix(rows: 0, cols: hiddenSize)
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
        results.resize(rows: total)
        var offset = 0
        for segment in header.segments {
            let count = Int(segment.rows)
            guard let ffn = store.expert(layer: layer, expert: Int(segment.expert)) else { continue }
            let i = ffn.intermediateSize
            hidden.resize(rows: count * 2 * i)
            activated.resize(rows: count * i)
            ffn.compute(input: source + offset * h, rows: count, output: results.row(offset),
                        hidden: hidden.base, activated: activated.base)
            offset += count
        }
        let reply = pool.take(floats: Int(header.tokenCount) * h)
        let output = reply.pointer
        output.update(repeating: 0)
        do {
            try withExtendedLifetime(rows) {
                try header.combineRows(UnsafeBufferPointer(start: results.base, count: total * h), into: output)
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
