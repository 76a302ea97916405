import SwitchyardWire
import SwitchyardZMQ

/// Wire messages through a `SharedMemoryLane`: a message's frames are one record, so what arrives
/// is decoded by the same `WireDecoder` as a ZeroMQ message.
extension SharedMemoryLane {
    /// Largest ring a worker offers by default: a decode step's dispatch (rows x hidden x 4 bytes)
    /// fits many times; bigger dispatches (long prefill chunks) go over ZeroMQ.
    static let defaultCapacity = 8 << 20

    /// Sends `frames` as one record (copied into the ring; `.full`/`.tooLarge` when it cannot);
    /// with `ringing` false the caller rings the doorbell later (`ringDoorbell()`).
    func send(frames: [FrameBytes], ringing: Bool = true) -> SendResult {
        Self.withBuffers(frames[...], []) { send($0, ringing: ringing) }
    }

    /// The oldest message waiting, its frames copied out of the ring (large ones into owned
    /// `TensorBytes`, as received ZeroMQ frames are), or nil when none is.
    func receiveFrames() throws(SharedMemoryLaneError) -> [FrameBytes]? {
        var frames: [FrameBytes] = []
        let got = try receive { parts in
            frames = parts.map { part in
                part.count <= WireFrames.inlineLimit ? .inline(Array(part)) : .tensor(TensorBytes(copying: part))
            }
        }
        return got ? frames : nil
    }

    /// Calls `body` with every frame's bytes, each pointer valid for the call.
    private static func withBuffers<R>(_ frames: ArraySlice<FrameBytes>, _ done: [UnsafeRawBufferPointer],
                                       _ body: ([UnsafeRawBufferPointer]) -> R) -> R {
        guard let first = frames.first else { return body(done) }
        let rest = frames.dropFirst()
        switch first {
        case .inline(let bytes):
            return bytes.withUnsafeBytes { withBuffers(rest, done + [$0], body) }
        case .tensor(let tensor):
            return tensor.withUnsafeBytes { withBuffers(rest, done + [$0], body) }
        }
    }
}
