import SwitchyardWire

/// Traffic counters of the worker link.
public struct ClusterStatistics: Sendable, Equatable {
    public var dispatches: UInt64 = 0
    public var rowsSent: UInt64 = 0
    public var bytesSent: UInt64 = 0
    public var bytesReceived: UInt64 = 0
    /// Compute time the workers reported in their replies (their experts, combine and reply encoding).
    public var computeMicros: UInt64 = 0
    /// Layer calls (one layer of one micro-batch) answered, and their wall time from the call to
    /// its last reply combined: against `computeMicros` it shows what the link and the hand-overs cost.
    public var layerCalls: UInt64 = 0
    public var layerCallMicros: UInt64 = 0
    /// Over the answered layer calls, the longest compute one worker reported for each: the layer
    /// calls' time less this is what the link and the hand-overs add; this less the single-process
    /// FFN time is what splitting the experts costs (uneven shares, workers sharing cores).
    public var slowestComputeMicros: UInt64 = 0
    /// Dispatches sent through a worker's shared-memory lane rather than ZeroMQ.
    public var laneDispatches: UInt64 = 0
    /// Dispatches to a worker with a lane that went over ZeroMQ because its ring was full or too small.
    public var laneFallbacks: UInt64 = 0
    /// Lanes dropped because a record in them was malformed.
    public var lanesBroken: UInt64 = 0
    /// Dispatches re-sent to another holder after their worker died, refused or timed out.
    public var resends: UInt64 = 0
    /// Dispatches that timed out waiting for their reply.
    public var timeouts: UInt64 = 0
    /// Layer calls failed because no other live holder could take a dispatch.
    public var failedCalls: UInt64 = 0
    /// Workers evicted after missing dispatch deadlines.
    public var evictions: UInt64 = 0
    /// Workers lost: silent too long, socket gone, said goodbye, or evicted (what was in flight
    /// to them is re-sent).
    public var workersLost: UInt64 = 0
    /// Registrations dropped by the rate limit.
    public var rateLimitedRegistrations: UInt64 = 0
    /// Repeated log lines left out by the log rate limit.
    public var suppressedLogLines: UInt64 = 0
}

/// What `/v1/cluster` shows.
public struct ClusterSnapshot: Sendable {
    /// Where a worker stands: serving, being drained, or gone.
    public enum WorkerState: String, Sendable {
        case live
        case draining
        /// Declared dead (silent for `liveness` heartbeats, or its socket failed).
        case dead
        /// Said goodbye, or was released after a drain.
        case left
        /// Missed a dispatch deadline: alive, but routing avoids it until it is evicted.
        case suspect
        /// Told to leave after it kept missing dispatch deadlines (it may register again).
        case evicted

        init(_ cause: WorkerRegistry.Departed.Cause) {
            switch cause {
            case .dead: self = .dead
            case .left: self = .left
            case .evicted: self = .evicted
            }
        }
    }

    public struct Worker: Sendable {
        public var id: String
        public var state: WorkerState
        /// Keys (layer, expert) held and acknowledged: what routing uses.
        public var experts: Int
        /// The held keys as `L0:0-3 L1:0-3` text.
        public var held: String
        /// Keys placement wants the worker to hold.
        public var target: Int
        /// Rows dispatched to the worker whose replies have not arrived: its load.
        public var inFlightRows: Int
        public var queuedDispatches: Int
        public var residentBytes: UInt64
        public var pinned: String?
        /// Seconds since the router last heard from the worker.
        public var lastHeardSeconds: Double
        /// Why a departed worker left, or why a live one is suspect.
        public var reason: String?
    }
    public var placementVersion: UInt64
    /// Registered workers first (by id), then departed ones (most recent last).
    public var workers: [Worker]
    public var missing: Int
    public var drops: DropCounter
    public var statistics: ClusterStatistics
    public var refusedRegistrations: UInt64
}
