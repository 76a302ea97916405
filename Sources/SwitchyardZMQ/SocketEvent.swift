import CZeroMQ

/// A connection-level event from `zmq_socket_monitor`: a peer connected, disconnected, failed a
/// handshake (a CURVE client refused by ZAP shows as `.handshakeFailedAuth`), and so on.
public struct SocketEvent: Sendable, Hashable, CustomStringConvertible {
    /// Which event (one bit of `SocketEvent.Kinds`).
    public let kind: Kinds
    /// The event's value: a file descriptor, an errno, a reconnect interval or a ZAP status code.
    public let value: UInt32
    /// The endpoint concerned ("tcp://127.0.0.1:5555").
    public let endpoint: String

    /// Event kinds; combine them to choose what `Socket.monitor` reports.
    public struct Kinds: OptionSet, Sendable, Hashable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let connected = Kinds(rawValue: UInt16(ZMQ_EVENT_CONNECTED))
        public static let connectDelayed = Kinds(rawValue: UInt16(ZMQ_EVENT_CONNECT_DELAYED))
        public static let connectRetried = Kinds(rawValue: UInt16(ZMQ_EVENT_CONNECT_RETRIED))
        public static let listening = Kinds(rawValue: UInt16(ZMQ_EVENT_LISTENING))
        public static let bindFailed = Kinds(rawValue: UInt16(ZMQ_EVENT_BIND_FAILED))
        public static let accepted = Kinds(rawValue: UInt16(ZMQ_EVENT_ACCEPTED))
        public static let acceptFailed = Kinds(rawValue: UInt16(ZMQ_EVENT_ACCEPT_FAILED))
        public static let closed = Kinds(rawValue: UInt16(ZMQ_EVENT_CLOSED))
        public static let disconnected = Kinds(rawValue: UInt16(ZMQ_EVENT_DISCONNECTED))
        public static let monitorStopped = Kinds(rawValue: UInt16(ZMQ_EVENT_MONITOR_STOPPED))
        public static let handshakeFailedNoDetail = Kinds(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL))
        public static let handshakeSucceeded = Kinds(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_SUCCEEDED))
        public static let handshakeFailedProtocol = Kinds(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL))
        public static let handshakeFailedAuth = Kinds(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH))
        /// Every event.
        public static let all = Kinds(rawValue: 0xFFFF)
    }

    public init(kind: Kinds, value: UInt32, endpoint: String) {
        self.kind = kind
        self.value = value
        self.endpoint = endpoint
    }

    /// Decodes a monitor message: frame 0 is a 16-bit event and a 32-bit value (native byte order),
    /// frame 1 the endpoint. Throws `ZMQError.invalidArgument` for anything else.
    public init(message: Message) throws(ZMQError) {
        guard message.count == 2, message[0].count == 6 else {
            throw ZMQError(code: ZMQError.invalidArgument.code, operation: "SocketEvent(\(message))")
        }
        let (event, value) = message[0].withUnsafeBytes { raw in
            (raw.loadUnaligned(fromByteOffset: 0, as: UInt16.self), raw.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        }
        self.kind = Kinds(rawValue: event)
        self.value = value
        self.endpoint = message[1].string ?? ""
    }

    public var description: String { "SocketEvent(0x\(String(kind.rawValue, radix: 16)), \(value), \(endpoint))" }
}

extension Socket {
    /// Starts publishing this socket's connection events of `kinds` on a PAIR socket bound at
    /// `endpoint` (an `inproc://` name); connect a `.pair` socket there and decode each message with
    /// `SocketEvent(message:)`. `stopMonitor()` stops it. Keep reading (and keep open) the
    /// monitor socket while monitoring: libzmq's event sends can stall when its reader is gone.
    public func monitor(_ endpoint: String, kinds: SocketEvent.Kinds = .all) throws(ZMQError) {
        let socket = try liveHandle("zmq_socket_monitor(\(endpoint))")
        if zmq_socket_monitor(socket, endpoint, Int32(kinds.rawValue)) != 0 {
            throw ZMQError.last("zmq_socket_monitor(\(endpoint))")
        }
    }

    /// Stops a monitor started with `monitor(_:kinds:)`.
    public func stopMonitor() throws(ZMQError) {
        let socket = try liveHandle("zmq_socket_monitor(nil)")
        if zmq_socket_monitor(socket, nil, 0) != 0 { throw ZMQError.last("zmq_socket_monitor(nil)") }
    }
}
