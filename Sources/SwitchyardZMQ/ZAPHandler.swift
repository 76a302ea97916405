import CZeroMQ
import Synchronization

/// Decides which clients may connect to the CURVE servers of one `Context` (ZAP, RFC 27).
///
/// libzmq asks the socket bound at `inproc://zeromq.zap.01` in the server's context about every
/// handshake; this handler binds it and answers from a `ZAPPolicy` on its own OS thread. **Without a
/// handler (or with `allowedCurveKeys == nil`) a CURVE server accepts any client**: CURVE then only
/// encrypts. The handler is what enforces identity.
///
/// Start it before the server sockets accept connections. The policy can be replaced at any time
/// from any thread (`policy = …`, `setAllowedKeys(_:)`, e.g. on SIGHUP); new handshakes use it at
/// once, connections already accepted stay up. Each decision is counted and passed to `onDecision`
/// (on the handler's thread) for logging.
public final class ZAPHandler: Sendable {
    /// The endpoint libzmq sends ZAP requests to.
    public static let endpoint = "inproc://zeromq.zap.01"

    private let state: ZAPState
    private let thread: OSThread

    /// Binds the ZAP endpoint in `context` and starts answering.
    /// Throws `ZMQError.addressInUse` if the context already has a ZAP handler.
    public init(
        context: Context,
        policy: ZAPPolicy,
        onDecision: (@Sendable (ZAPRequest, ZAPReply) -> Void)? = nil
    ) throws(ZMQError) {
        let socket = try Socket(context, type: .reply)
        try socket.set(.linger, 0)
        try socket.bind(Self.endpoint)
        let state = ZAPState(policy: policy, wakeup: try Wakeup(), onDecision: onDecision)
        let transfer = SocketTransfer(socket: socket)
        self.state = state
        self.thread = try OSThread(name: "zmq-zap") {
            state.run(transfer.socket)
        }
    }

    deinit {
        stop()
    }

    /// The current policy; assigning replaces it atomically.
    public var policy: ZAPPolicy {
        get { state.policy.withLock { $0 } }
        set { state.policy.withLock { $0 = newValue } }
    }

    /// Replaces the CURVE allow-list (nil: accept every CURVE client).
    public func setAllowedKeys(_ keys: Set<CurveKey>?) {
        state.policy.withLock { $0.allowedCurveKeys = keys }
    }

    /// Decisions made so far.
    public var statistics: ZAPStatistics { state.statistics.withLock { $0 } }

    /// Stops the thread and unbinds the endpoint. Idempotent; waits at most one poll round.
    public func stop() {
        state.stopRequested.store(true, ordering: .releasing)
        state.wakeup.signal()
        thread.join()
    }
}

/// Counts of a `ZAPHandler`'s answers.
public struct ZAPStatistics: Sendable, Hashable {
    /// Handshakes accepted ("200").
    public var accepted = 0
    /// Handshakes refused ("400"), e.g. a client key not on the allow-list.
    public var refused = 0
    /// Requests that were not valid ZAP ("500").
    public var malformed = 0
}

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
