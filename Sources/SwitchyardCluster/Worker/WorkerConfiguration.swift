import Foundation
import SwitchyardTensor
import SwitchyardModel
import SwitchyardZMQ

/// How a worker daemon runs; `switchyard worker` builds it from its flags, tests build it directly.
public struct WorkerConfiguration: Sendable {
    /// The router's ZeroMQ endpoint, e.g. `tcp://10.0.0.1:5555`.
    public var routerEndpoint: String
    /// The Hugging Face checkpoint directory (the same model the router serves).
    public var modelDirectory: URL
    /// Stable worker name, also the DEALER routing id (1...255 bytes, not starting with a zero byte).
    public var workerID: String
    /// Expert ids (of every layer) the worker insists on holding; empty = whatever placement gives.
    public var pinnedExperts: Set<Int>
    /// The pin list as the user typed it, for the router's logs.
    public var pinnedSpec: String
    /// BLAS threads for expert matmuls (reported to the router as capacity).
    public var threads: Int
    /// Heartbeat period until the router's `Welcome` sets its own.
    public var heartbeatInterval: Duration
    /// Missed heartbeat intervals after which a silent router is considered gone.
    public var liveness: Int
    /// First reconnect delay; doubles per failed attempt up to `maxReconnectDelay`.
    public var minReconnectDelay: Duration
    public var maxReconnectDelay: Duration
    /// Most tokens of one engine step; sizes MAXMSGSIZE and the largest dispatch accepted
    /// (`ModelIdentity.limits(config:maxBatchTokens:)`).
    public var maxBatchTokens: Int
    /// Bytes the worker may use for expert weights (0 = unlimited), reported as capacity.
    public var memoryBytes: UInt64
    /// Sent in `Register` for the router's logs.
    public var softwareVersion: String
    /// CURVE: this worker's key pair and the router's public key; nil for plain text.
    public var curve: Curve?
    /// Longest a graceful drain (`Worker.drain()`, SIGTERM) waits for the router to move this
    /// worker's experts elsewhere before the worker leaves anyway.
    public var drainTimeout: Duration
    /// The formats the experts are kept in once loaded (`--dtype`).
    public var dtypes: WeightDTypes
    /// Dispatches of at most this many FLOPs (rows x 6 x hidden x widest intermediate) are computed
    /// on the I/O thread that received them when the compute thread is idle, which spares two thread
    /// hand-overs per dispatch; larger ones (prefill chunks) go to the compute thread so heartbeats
    /// keep flowing. 0 sends every dispatch to the compute thread. The default is about 20 ms of one
    /// AVX2 core; an inline dispatch that takes longer than a tenth of the heartbeat interval in force lowers
    /// the bound for the rest of the run (`InlineDispatchLimit`), so a slow kernel path cannot
    /// hold heartbeats back.
    public var inlineComputeFLOPs = 2_000_000_000
    /// How experts are cut over the workers (`--expert-slices`): must match the router's, which
    /// refuses the registration otherwise. With slices, the ids the router assigns are units
    /// (`ExpertSlicing`) and the worker keeps only its slices of each expert.
    public var expertSlicing: ExpertSlicing = .whole
    /// Called once a dispatch's reply is sent and nothing else is queued: the next dispatch is at
    /// least a router phase away, so idle compute threads sleep now rather than poll, leaving the
    /// cores to the router and other workers (`ParallelFor.parkIdleThreads`; tests count the calls).
    public var parkComputeThreads: @Sendable () -> Void = ParallelFor.parkIdleThreads
    /// Whether the worker offers the router a shared-memory lane for dispatches (`--no-local-lane`
    /// turns it off). Only a router on the same host, running as the same user, can map it; any
    /// other router ignores it and everything goes over ZeroMQ.
    public var offersLocalLane = true
    /// Bytes of each ring of the lane (one each way); a dispatch or reply that does not fit goes
    /// over ZeroMQ. Memory is only used as the rings fill.
    public var localLaneBytes = 8 << 20

    /// The keys of an encrypted link to the router.
    public struct Curve: Sendable {
        public var keys: CurveKeyPair
        public var routerKey: CurveKey
        public init(keys: CurveKeyPair, routerKey: CurveKey) {
            self.keys = keys
            self.routerKey = routerKey
        }
    }

    public init(
        routerEndpoint: String, modelDirectory: URL, workerID: String,
        pinnedExperts: Set<Int> = [], pinnedSpec: String = "", threads: Int = 1,
        heartbeatInterval: Duration = .milliseconds(500), liveness: Int = 3,
        minReconnectDelay: Duration = .milliseconds(100), maxReconnectDelay: Duration = .seconds(2),
        maxBatchTokens: Int = 4096, memoryBytes: UInt64 = 0, softwareVersion: String = "0.1.0",
        curve: Curve? = nil, drainTimeout: Duration = .seconds(60), dtypes: WeightDTypes = .auto
    ) {
        self.dtypes = dtypes
        self.drainTimeout = drainTimeout
        self.curve = curve
        self.routerEndpoint = routerEndpoint
        self.modelDirectory = modelDirectory
        self.workerID = workerID
        self.pinnedExperts = pinnedExperts
        self.pinnedSpec = pinnedSpec
        self.threads = max(1, threads)
        self.heartbeatInterval = heartbeatInterval
        self.liveness = max(1, liveness)
        self.minReconnectDelay = minReconnectDelay
        self.maxReconnectDelay = max(minReconnectDelay, maxReconnectDelay)
        self.maxBatchTokens = max(1, maxBatchTokens)
        self.memoryBytes = memoryBytes
        self.softwareVersion = softwareVersion
    }

    /// The default worker id: `hostname-pid`.
    public static func defaultWorkerID() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "worker"
        return "\(host.isEmpty ? "worker" : host)-\(ProcessInfo.processInfo.processIdentifier)"
    }
}
