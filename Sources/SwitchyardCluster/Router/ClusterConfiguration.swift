import SwitchyardModel
import SwitchyardZMQ

/// Settings of the router's worker-facing side.
public struct ClusterConfiguration: Sendable {
    /// ZeroMQ endpoint the ROUTER socket binds, e.g. `tcp://127.0.0.1:5555`.
    public var listen: String
    /// Heartbeat period both ways.
    public var heartbeatInterval: Duration
    /// Missed intervals after which a silent worker is dead.
    public var liveness: Int
    /// Holders per expert where capacity allows.
    public var replicas: Int
    /// Longest a dispatch may wait for its reply. A worker that lets one pass is suspect: what is
    /// in flight to it is re-sent to other holders, routing avoids it and its experts are loaded
    /// elsewhere; after `evictAfterMisses` misses, or one more timeout as suspect, it is evicted.
    public var dispatchTimeout: Duration
    /// Missed dispatch deadlines after which a suspect worker is evicted.
    public var evictAfterMisses: Int = 3
    /// Most tokens of one engine step; with experts per token it bounds a dispatch's rows and so
    /// MAXMSGSIZE. Workers must use at least the same bound.
    public var maxBatchTokens: Int
    /// CURVE: the router's key pair and the allowed worker keys; nil for plain text.
    public var curve: CurveSettings?
    /// The element type of rows sent to workers (workers answer in the same one).
    public var wireDType: WireRowDType
    /// How experts are cut over the workers (`--expert-slices`): whole experts, or each expert's
    /// intermediate rows in equal slices, so every worker shares every routed row (`ExpertSlicing`).
    /// Workers must use the same; their registration is refused otherwise.
    public var expertSlicing: ExpertSlicing = .whole
    /// Whether a worker's shared-memory lane (`Register.local_lane`) is mapped when this router can
    /// open it (same host, same user): dispatches to that worker and their replies then skip ZeroMQ
    /// (`SharedMemoryLane`); control messages stay on the socket.
    public var acceptsLocalLanes = true

    public struct CurveSettings: Sendable {
        public var serverKeys: CurveKeyPair
        public var allowedWorkers: [CurveKey]
        public init(serverKeys: CurveKeyPair, allowedWorkers: [CurveKey]) {
            self.serverKeys = serverKeys
            self.allowedWorkers = allowedWorkers
        }
    }

    public init(listen: String = "tcp://127.0.0.1:5555", heartbeatInterval: Duration = .milliseconds(500), liveness: Int = 3,
                replicas: Int = 1, dispatchTimeout: Duration = .seconds(30), maxBatchTokens: Int = 4096, curve: CurveSettings? = nil,
                wireDType: WireRowDType = .f32, expertSlicing: ExpertSlicing = .whole) {
        self.wireDType = wireDType
        self.expertSlicing = expertSlicing
        self.listen = listen
        self.heartbeatInterval = heartbeatInterval
        self.liveness = liveness
        self.replicas = replicas
        self.dispatchTimeout = dispatchTimeout
        self.maxBatchTokens = maxBatchTokens
        self.curve = curve
    }
}

/// Why a remote FFN computation failed; the API answers these with 503.
public enum ClusterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No live worker holds these experts.
    case expertsUnavailable([String])
    /// A worker holding needed experts died or left mid-dispatch.
    case workerLost(worker: String, reason: String)
    /// A worker answered with an error.
    case workerFailed(worker: String, message: String)
    /// No reply within the dispatch timeout.
    case timeout(worker: String)
    /// The router is shutting down.
    case stopped

    public var description: String {
        switch self {
        case .expertsUnavailable(let keys): "no live worker holds experts \(keys.prefix(8).joined(separator: ", "))\(keys.count > 8 ? " and \(keys.count - 8) more" : "")"
        case .workerLost(let worker, let reason): "worker \(worker) was lost (\(reason))"
        case .workerFailed(let worker, let message): "worker \(worker) failed: \(message)"
        case .timeout(let worker): "worker \(worker) did not answer in time"
        case .stopped: "the router is shutting down"
        }
    }
}
