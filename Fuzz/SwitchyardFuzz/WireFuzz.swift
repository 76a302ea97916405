import SwitchyardTensor
import SwitchyardWire

/// The wire decoder, both ways. The input is split into frames (`WireFuzz.frames`); the first byte
/// says which side decodes:
/// * even: a worker decoding what a router sends (dispatches, assignments, welcomes, drains): a
///   decoded dispatch must satisfy everything `DispatchComputer` relies on;
/// * odd: a router decoding what a worker sends (registrations, acks, heartbeats, replies): a
///   reply answering the router's dispatch in flight is combined into the layer's output, as
///   `ClusterService` does.
/// Either way a decoded message must encode again, and decode to the same bytes.
enum WireFuzz {
    /// A small model: 2 layers of 4 experts, rows of 8 elements, at most 64 rows a dispatch.
    static let limits = try! ModelLimits(layers: 2, expertsPerLayer: 4, hiddenSize: 8, maxRows: 64)
    static let decoder = WireDecoder(limits: limits)

    /// The router's dispatch in flight: 3 tokens, top-2, experts 0 and 1 on this worker (0).
    static let inFlight: WorkerDispatch = {
        var packer = RowPacker(hiddenSize: limits.hiddenSize, expertsPerLayer: limits.expertsPerLayer)
        let tokens = (0 ..< 3 * limits.hiddenSize).map { Float($0) / 10 }
        let experts: [Int32] = [0, 2, 1, 0, 3, 1]
        let weights: [Float] = [0.6, 0.4, 0.7, 0.3, 0.5, 0.5]
        let dispatches = tokens.withUnsafeBufferPointer { t in
            experts.withUnsafeBufferPointer { e in
                weights.withUnsafeBufferPointer { w in
                    try! packer.pack(tokens: t, experts: e, weights: w, owners: [0, 0, 1, 1], workerCount: 2)
                }
            }
        }
        return dispatches.first { $0.worker == 0 }!
    }()
    static let inFlightHeader = inFlight.header(dispatchID: 7, step: 3, microBatch: 1, layer: 1)

    static func run(_ data: [UInt8]) {
        var input = FuzzInput(data)
        let routerSide = input.byte() & 1 == 1
        let frames = Self.frames(&input)
        guard let message = try? decoder.decode(frames) else { return }
        _ = message.description
        roundTrip(message)
        switch message {
        case .dispatch(let header, let rows):
            checkDispatch(header, rows: rows)
        case .reply(let reply, let rows) where routerSide:
            combine(reply, rows: rows)
        default:
            break
        }
    }

    /// Frames from the input: a count (1...4), then each frame but the last as a 16-bit length
    /// and its bytes, a flag byte choosing inline or by-reference; the last frame takes the rest.
    static func frames(_ input: inout FuzzInput) -> [FrameBytes] {
        let count = 1 + Int(input.byte() % 4)
        var frames: [FrameBytes] = []
        for index in 0 ..< count {
            let byReference = input.bool()
            let bytes = index == count - 1 ? input.rest() : input.take(Int(input.uint16()))
            frames.append(byReference ? .tensor(TensorBytes(copying: bytes)) : .inline(bytes))
        }
        return frames
    }

    /// The inverse of `frames` (seeds): inline frames.
    static func input(direction: UInt8, frames: [FrameBytes]) -> [UInt8] {
        var out: [UInt8] = [direction, UInt8(frames.count - 1)]
        for (index, frame) in frames.enumerated() {
            out.append(0)
            let bytes = frame.withUnsafeBytes { Array($0) }
            if index < frames.count - 1 {
                out += [UInt8(bytes.count & 0xff), UInt8(bytes.count >> 8)]
            }
            out += bytes
        }
        return out
    }

    private static func roundTrip(_ message: WireMessage) {
        let encoded: [FrameBytes]
        do { encoded = try message.encode() } catch {
            fuzzCheck(false, "a decoded \(message.kind) does not encode: \(error)")
            return
        }
        let again: WireMessage
        do { again = try decoder.decode(encoded) } catch {
            fuzzCheck(false, "a re-encoded \(message.kind) does not decode: \(error)")
            return
        }
        fuzzCheck((try? again.encode()) == encoded, "\(message.kind) changes on a round trip")
    }

    /// What the worker's compute path assumes of a decoded dispatch.
    private static func checkDispatch(_ header: Switchyard_V1_DispatchHeader, rows: TensorBytes) {
        let total = Int(header.totalRows)
        fuzzCheck(header.segments.reduce(0) { $0 + Int($1.rows) } == total, "segments do not sum to total rows")
        fuzzCheck(header.segments.allSatisfy { Int($0.expert) < limits.expertsPerLayer }, "expert out of range")
        fuzzCheck(Int(header.layer) < limits.layers, "layer out of range")
        fuzzCheck(total <= limits.maxRows && header.gateWeights.count == total && header.tokenSlots.count == total,
                  "per-row arrays disagree with total rows")
        fuzzCheck(header.tokenSlots.allSatisfy { Int($0) < Int(header.tokenCount) }, "token slot out of range")
        let elementSize = header.dtype == .bf16 ? 2 : 4
        fuzzCheck(rows.count == total * limits.hiddenSize * elementSize, "rows frame size disagrees with the header")
        // Reading every row, as the experts would.
        var sum: Float = 0
        rows.withUnsafeBytes { bytes in
            for offset in stride(from: 0, to: bytes.count, by: elementSize) {
                sum += Float(bytes[offset])
            }
        }
        _ = sum
    }

    /// The router's handling of a reply: combined only when it answers the dispatch in flight.
    private static func combine(_ reply: Switchyard_V1_DispatchReply, rows: TensorBytes?) {
        guard reply.answers(inFlightHeader), reply.status == .ok, let rows else { return }
        let tokens = 3
        var output = [Float](repeating: 0, count: tokens * limits.hiddenSize)
        output.withUnsafeMutableBufferPointer { buffer in
            do {
                try inFlight.combine(reply: rows, dtype: reply.dtype, into: buffer)
            } catch {
                // A reply of the right row count in another element size is refused, not read.
                fuzzCheck(reply.dtype != inFlightHeader.dtype, "a matching reply was refused: \(error)")
            }
        }
    }
}
