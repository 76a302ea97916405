import CZeroMQ
import Synchronization

/// State shared by a `ZAPHandler` and its thread (kept apart so the thread does not retain the handler).
final class ZAPState: Sendable {
    let policy: Mutex<ZAPPolicy>
    let statistics = Mutex(ZAPStatistics())
    let stopRequested = Atomic<Bool>(false)
    let wakeup: Wakeup
    let onDecision: (@Sendable (ZAPRequest, ZAPReply) -> Void)?

    init(policy: ZAPPolicy, wakeup: Wakeup, onDecision: (@Sendable (ZAPRequest, ZAPReply) -> Void)?) {
        self.policy = Mutex(policy)
        self.wakeup = wakeup
        self.onDecision = onDecision
    }

    func run(_ socket: Socket) {
        defer { socket.close() }
        var items = [
            zmq_pollitem_t(socket: socket.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0),
            zmq_pollitem_t(socket: nil, fd: wakeup.fd, events: Int16(ZMQ_POLLIN), revents: 0),
        ]
        while !stopRequested.load(ordering: .acquiring) {
            items[0].revents = 0
            items[1].revents = 0
            let rc = items.withUnsafeMutableBufferPointer { zmq_poll($0.baseAddress, 2, 1000) }
            if rc < 0 {
                if ZMQError.last() == .terminated { return }
                continue
            }
            if items[1].revents != 0 { wakeup.drain() }
            if items[0].revents != 0 { answer(on: socket) }
        }
    }

    private func answer(on socket: Socket) {
        let frames: [[UInt8]]
        do {
            frames = try socket.receive(flags: .dontWait).frames.map(\.bytes)
        } catch {
            return  // EAGAIN (spurious wake) or ETERM (the loop notices on the next poll)
        }
        let reply: ZAPReply
        let requestID = frames.count > 1 ? frames[1] : []
        do {
            let request = try ZAPRequest(frames: frames)
            reply = policy.withLock { $0 }.decide(request)
            statistics.withLock { reply.isAccepted ? ($0.accepted += 1) : ($0.refused += 1) }
            onDecision?(request, reply)
        } catch {
            reply = .internalError("\(error)")
            statistics.withLock { $0.malformed += 1 }
        }
        // REP must answer every request, or it cannot receive the next one.
        try? socket.send(Message(reply.frames(requestID: requestID).map { Frame($0) }), flags: .dontWait)
    }
}
