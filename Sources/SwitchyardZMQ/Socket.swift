import CZeroMQ

/// A ZeroMQ socket.
///
/// **Not thread safe: one thread owns a socket.** Create it, configure it and use it from one thread,
/// or hand it over once to a `Reactor` (which then owns it on its thread). Swift's region checking
/// enforces the hand-over: `Socket` is not `Sendable`, and `Reactor.add(_:)` takes it `sending`.
///
/// The socket keeps its `Context` alive and is closed on `close()` or deinit; it is given the
/// context's `defaultLinger` at creation, so closing never blocks on unsent messages.
public final class Socket {
    /// The raw `void*` socket; nil once closed.
    private(set) var handle: UnsafeMutableRawPointer?
    /// The context this socket belongs to (kept alive by the socket).
    public let context: Context
    /// The socket's pattern.
    public let type: SocketType
    /// Scratch `zmq_msg_t` for sends, reused so sending allocates nothing.
    private let scratch = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)

    /// Creates a socket of `type` in `context`.
    public init(_ context: Context, type: SocketType) throws(ZMQError) {
        guard let socket = zmq_socket(context.handle, type.rawValue) else {
            scratch.deallocate()
            throw ZMQError.last("zmq_socket(\(type))")
        }
        self.handle = socket
        self.context = context
        self.type = type
        var linger = context.defaultLinger
        zmq_setsockopt(socket, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
    }

    deinit {
        close()
        scratch.deallocate()
    }

    /// Closes the socket (`zmq_close`); further calls throw `ZMQError.notSocket`. Idempotent.
    public func close() {
        if let handle {
            zmq_close(handle)
            self.handle = nil
        }
    }

    /// Whether `close()` has been called.
    public var isClosed: Bool { handle == nil }

    func liveHandle(_ operation: @autoclosure () -> String) throws(ZMQError) -> UnsafeMutableRawPointer {
        guard let handle else { throw ZMQError(code: ZMQError.notSocket.code, operation: operation()) }
        return handle
    }

    // MARK: Endpoints

    /// Binds to `endpoint` ("tcp://127.0.0.1:*" picks a free port; read it back from `lastEndpoint`).
    public func bind(_ endpoint: String) throws(ZMQError) {
        let socket = try liveHandle("zmq_bind(\(endpoint))")
        if zmq_bind(socket, endpoint) != 0 { throw ZMQError.last("zmq_bind(\(endpoint))") }
    }

    /// Connects to `endpoint`; the connection is made (and remade) in the background.
    public func connect(_ endpoint: String) throws(ZMQError) {
        let socket = try liveHandle("zmq_connect(\(endpoint))")
        if zmq_connect(socket, endpoint) != 0 { throw ZMQError.last("zmq_connect(\(endpoint))") }
    }

    /// Stops listening on a bound `endpoint` (use the resolved form from `lastEndpoint` for wildcards).
    public func unbind(_ endpoint: String) throws(ZMQError) {
        let socket = try liveHandle("zmq_unbind(\(endpoint))")
        if zmq_unbind(socket, endpoint) != 0 { throw ZMQError.last("zmq_unbind(\(endpoint))") }
    }

    /// Drops the connection to `endpoint`.
    public func disconnect(_ endpoint: String) throws(ZMQError) {
        let socket = try liveHandle("zmq_disconnect(\(endpoint))")
        if zmq_disconnect(socket, endpoint) != 0 { throw ZMQError.last("zmq_disconnect(\(endpoint))") }
    }

    /// The endpoint of the last bind or connect, with wildcards resolved ("tcp://127.0.0.1:41327").
    public var lastEndpoint: String {
        get throws(ZMQError) { try stringOption(ZMQ_LAST_ENDPOINT, name: "ZMQ_LAST_ENDPOINT") }
    }

    // MARK: Sending

    /// Sends one frame. With `.dontWait` a full queue throws `ZMQError.again` instead of blocking;
    /// with `.sendMore` the frame is followed by more parts of the same message.
    /// The frame stays usable: libzmq gets its own reference to the bytes.
    public func send(_ frame: Frame, flags: SendFlags = []) throws(ZMQError) {
        let socket = try liveHandle("zmq_msg_send")
        frame.copy(into: scratch)
        while true {
            if zmq_msg_send(scratch, socket, flags.rawValue) >= 0 { return }
            let error = ZMQError.last("zmq_msg_send")
            if error == .interrupted { continue }
            zmq_msg_close(scratch)
            throw error
        }
    }

    /// Sends all frames of `message` as one multipart message (`.sendMore` on all but the last).
    /// `flags` may add `.dontWait`. A `ZMQError.again` on the first frame means nothing was sent.
    public func send(_ message: Message, flags: SendFlags = []) throws(ZMQError) {
        guard !message.frames.isEmpty else {
            throw ZMQError(code: ZMQError.invalidArgument.code, operation: "send(empty message)")
        }
        let last = message.frames.count - 1
        for (index, frame) in message.frames.enumerated() {
            try send(frame, flags: index == last ? flags.subtracting(.sendMore) : flags.union(.sendMore))
        }
    }

    // MARK: Receiving

    /// Receives one frame; `more` tells whether further parts of the same message follow.
    /// With `.dontWait`, throws `ZMQError.again` when nothing is queued; a RCVTIMEO expiry also throws `.again`.
    public func receiveFrame(flags: ReceiveFlags = []) throws(ZMQError) -> (frame: Frame, more: Bool) {
        let socket = try liveHandle("zmq_msg_recv")
        let msg = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        zmq_msg_init(msg)
        while zmq_msg_recv(msg, socket, flags.rawValue) < 0 {
            let error = ZMQError.last("zmq_msg_recv")
            if error == .interrupted { continue }
            zmq_msg_close(msg)
            msg.deallocate()
            throw error
        }
        let more = zmq_msg_more(msg) != 0
        return (Frame(adopting: msg), more)
    }

    /// Receives a whole multipart message. `.dontWait` applies to the first frame only: the rest of
    /// a message is always already there (delivery is atomic).
    public func receive(flags: ReceiveFlags = []) throws(ZMQError) -> Message {
        var (frame, more) = try receiveFrame(flags: flags)
        var frames = [frame]
        while more {
            (frame, more) = try receiveFrame()
            frames.append(frame)
        }
        return Message(frames)
    }
}
