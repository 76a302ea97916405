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
