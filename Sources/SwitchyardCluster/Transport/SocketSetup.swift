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

    /// A random tag of this process, part of its workers' routing ids.
    public static let processInstance: String = String(UInt32.random(in: .min ... .max), radix: 16)

    /// The routing id of worker `id` in process instance `instance`: the id (the Register message
    /// carries it whole) and the instance, so that another process registering the same id is a
    /// different peer the router can refuse (DUPLICATE_WORKER_ID) instead of one that takes over
    /// the live worker's connection (ROUTER_HANDOVER). A reconnect of the same process keeps it.
    public static func routingID(worker id: String, instance: String = processInstance) -> [UInt8] {
        Array(id.utf8.prefix(255 - 1 - instance.utf8.count)) + Array("#\(instance)".utf8)
    }

    /// Configures a worker's DEALER socket with its routing id (``routingID(worker:instance:)``);
    /// connect it afterwards.
    public static func configureWorker(_ socket: Socket, routingID workerID: String, maxMessageBytes: Int,
                                       instance: String = processInstance) throws(ZMQError) {
        try socket.set(.linger, lingerMilliseconds)
        try socket.set(.maxMessageSize, Int64(maxMessageBytes))
        try socket.set(.routingID, routingID(worker: workerID, instance: instance))
        try socket.set(.sendHighWaterMark, highWaterMark)
        try socket.set(.receiveHighWaterMark, highWaterMark)
    }
}
