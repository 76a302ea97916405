import SwitchyardZMQ

/// The options every Switchyard router-worker socket sets (DESIGN.md: LINGER, MAXMSGSIZE,
/// ROUTER_MANDATORY on ROUTERs), in one place so router and worker agree.
public enum SocketSetup {
    /// How long a closing socket may try to flush, in milliseconds.
    public static let lingerMilliseconds: Int32 = 200
    /// Queue depth per peer before ZeroMQ pushes back (the reactor queues beyond it).
    public static let highWaterMark: Int32 = 10_000

    /// Configures the router's ROUTER socket; bind it afterwards.
    public static func configureRouter(_ socket: Socket, maxMessageBytes: Int) throws(ZMQError) {
        try socket.set(.linger, lingerMilliseconds)
        try socket.set(.maxMessageSize, Int64(maxMessageBytes))
        try socket.set(.routerMandatory, true)
        try socket.set(.routerHandover, true)  // a restarted worker with the same id takes over its slot
        try socket.set(.sendHighWaterMark, highWaterMark)
        try socket.set(.receiveHighWaterMark, highWaterMark)
    }

    /// Configures a worker's DEALER socket with its stable routing id; connect it afterwards.
    public static func configureWorker(_ socket: Socket, routingID: String, maxMessageBytes: Int) throws(ZMQError) {
        try socket.set(.linger, lingerMilliseconds)
        try socket.set(.maxMessageSize, Int64(maxMessageBytes))
        try socket.set(.routingID, Array(routingID.utf8))
        try socket.set(.sendHighWaterMark, highWaterMark)
        try socket.set(.receiveHighWaterMark, highWaterMark)
    }
}
