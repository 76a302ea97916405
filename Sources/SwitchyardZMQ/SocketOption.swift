import CZeroMQ

/// A typed socket option: the libzmq option number plus the Swift type of its value.
///
/// Use the static members with `Socket.set(_:_:)` and `Socket.get(_:)`:
/// `try socket.set(.linger, 0)`, `try socket.set(.routerMandatory, true)`,
/// `let hwm = try socket.get(.sendHighWaterMark)`.
public struct SocketOption<Value>: Sendable, CustomStringConvertible {
    /// The `ZMQ_*` option number.
    public let code: Int32
    /// The option's C name, for error messages.
    public let name: String

    /// An option not listed here; `Value` must match what libzmq expects for `code`.
    public init(code: Int32, name: String) {
        self.code = code
        self.name = name
    }

    public var description: String { name }
}

extension SocketOption where Value == Int32 {
    /// `ZMQ_LINGER`: milliseconds unsent messages may delay close; 0 drops them, -1 waits forever.
    public static var linger: Self { .init(code: ZMQ_LINGER, name: "ZMQ_LINGER") }
    /// `ZMQ_SNDHWM`: messages queued per peer before sends block or fail with `.again` (0 = unlimited).
    public static var sendHighWaterMark: Self { .init(code: ZMQ_SNDHWM, name: "ZMQ_SNDHWM") }
    /// `ZMQ_RCVHWM`: messages queued per peer on the receiving side.
    public static var receiveHighWaterMark: Self { .init(code: ZMQ_RCVHWM, name: "ZMQ_RCVHWM") }
    /// `ZMQ_RCVTIMEO`: milliseconds a blocking receive waits before throwing `.again` (-1 forever).
    public static var receiveTimeout: Self { .init(code: ZMQ_RCVTIMEO, name: "ZMQ_RCVTIMEO") }
    /// `ZMQ_SNDTIMEO`: milliseconds a blocking send waits before throwing `.again` (-1 forever).
    public static var sendTimeout: Self { .init(code: ZMQ_SNDTIMEO, name: "ZMQ_SNDTIMEO") }
    /// `ZMQ_HEARTBEAT_IVL`: milliseconds between ZMTP PINGs on each connection (0 = off).
    public static var heartbeatInterval: Self { .init(code: ZMQ_HEARTBEAT_IVL, name: "ZMQ_HEARTBEAT_IVL") }
    /// `ZMQ_HEARTBEAT_TIMEOUT`: milliseconds without traffic after a PING before the connection is dropped.
    public static var heartbeatTimeout: Self { .init(code: ZMQ_HEARTBEAT_TIMEOUT, name: "ZMQ_HEARTBEAT_TIMEOUT") }
    /// `ZMQ_HEARTBEAT_TTL`: milliseconds the remote peer should wait for traffic (sent in PINGs; 100 ms granularity).
    public static var heartbeatTTL: Self { .init(code: ZMQ_HEARTBEAT_TTL, name: "ZMQ_HEARTBEAT_TTL") }
    /// `ZMQ_HANDSHAKE_IVL`: milliseconds a new connection may take to complete its handshake.
    public static var handshakeInterval: Self { .init(code: ZMQ_HANDSHAKE_IVL, name: "ZMQ_HANDSHAKE_IVL") }
}

extension SocketOption where Value == Int64 {
    /// `ZMQ_MAXMSGSIZE`: largest inbound message in bytes (-1 = no limit). A peer that sends more is
    /// disconnected and the message never reaches the application.
    public static var maxMessageSize: Self { .init(code: ZMQ_MAXMSGSIZE, name: "ZMQ_MAXMSGSIZE") }
}

extension SocketOption where Value == Bool {
    /// `ZMQ_ROUTER_MANDATORY`: a ROUTER send to an unknown routing id throws `.hostUnreachable` and a
    /// send to a full peer throws `.again`, instead of dropping the message silently.
    public static var routerMandatory: Self { .init(code: ZMQ_ROUTER_MANDATORY, name: "ZMQ_ROUTER_MANDATORY") }
    /// `ZMQ_ROUTER_HANDOVER`: a new connection with an existing routing id takes it over (a restarted worker).
    public static var routerHandover: Self { .init(code: ZMQ_ROUTER_HANDOVER, name: "ZMQ_ROUTER_HANDOVER") }
    /// `ZMQ_IMMEDIATE`: queue messages only to completed connections.
    public static var immediate: Self { .init(code: ZMQ_IMMEDIATE, name: "ZMQ_IMMEDIATE") }
    /// `ZMQ_CURVE_SERVER`: this socket is the CURVE server side (needs `curveSecretKey`).
    public static var curveServer: Self { .init(code: ZMQ_CURVE_SERVER, name: "ZMQ_CURVE_SERVER") }
}

extension SocketOption where Value == [UInt8] {
    /// `ZMQ_ROUTING_ID`: the identity a ROUTER peer sees for this socket (1–255 bytes, not starting with 0).
    public static var routingID: Self { .init(code: ZMQ_ROUTING_ID, name: "ZMQ_ROUTING_ID") }
    /// `ZMQ_SUBSCRIBE`: a SUB prefix filter to add.
    public static var subscribe: Self { .init(code: ZMQ_SUBSCRIBE, name: "ZMQ_SUBSCRIBE") }
    /// `ZMQ_UNSUBSCRIBE`: a SUB prefix filter to remove.
    public static var unsubscribe: Self { .init(code: ZMQ_UNSUBSCRIBE, name: "ZMQ_UNSUBSCRIBE") }
}

extension SocketOption where Value == String {
    /// `ZMQ_ZAP_DOMAIN`: the domain passed to the ZAP handler for this socket's connections.
    public static var zapDomain: Self { .init(code: ZMQ_ZAP_DOMAIN, name: "ZMQ_ZAP_DOMAIN") }
}

extension SocketOption where Value == CurveKey {
    /// `ZMQ_CURVE_PUBLICKEY`: this socket's long-term public key (clients; servers derive theirs).
    public static var curvePublicKey: Self { .init(code: ZMQ_CURVE_PUBLICKEY, name: "ZMQ_CURVE_PUBLICKEY") }
    /// `ZMQ_CURVE_SECRETKEY`: this socket's long-term secret key.
    public static var curveSecretKey: Self { .init(code: ZMQ_CURVE_SECRETKEY, name: "ZMQ_CURVE_SECRETKEY") }
    /// `ZMQ_CURVE_SERVERKEY`: the server's public key, set on a client.
    public static var curveServerKey: Self { .init(code: ZMQ_CURVE_SERVERKEY, name: "ZMQ_CURVE_SERVERKEY") }
}
