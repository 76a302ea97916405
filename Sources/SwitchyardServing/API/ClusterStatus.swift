import Hummingbird

/// The JSON body of `GET /v1/cluster` (the router encodes it, `switchyard status` decodes it).
public struct ClusterStatus: Codable, Sendable {
    public struct Worker: Codable, Sendable {
        public var id: String
        /// `live`, `draining`, `dead` or `left`.
        public var state: String
        /// Keys held (acknowledged), the count and as `L0:0-3 L1:0-3` text.
        public var experts: Int
        public var held: String
        public var targetExperts: Int
        public var inFlightRows: Int
        public var queuedDispatches: Int
        public var residentBytes: UInt64
        public var pinned: String?
        public var lastHeartbeatAgeSeconds: Double
        /// Why a departed worker left.
        public var reason: String?

        public init(id: String, state: String, experts: Int, held: String, targetExperts: Int, inFlightRows: Int,
                    queuedDispatches: Int, residentBytes: UInt64, pinned: String?, lastHeartbeatAgeSeconds: Double,
                    reason: String?) {
            self.id = id
            self.state = state
            self.experts = experts
            self.held = held
            self.targetExperts = targetExperts
            self.inFlightRows = inFlightRows
            self.queuedDispatches = queuedDispatches
            self.residentBytes = residentBytes
            self.pinned = pinned
            self.lastHeartbeatAgeSeconds = lastHeartbeatAgeSeconds
            self.reason = reason
        }

        enum CodingKeys: String, CodingKey {
            case id, state, experts, held, pinned, reason
            case lastHeartbeatAgeSeconds = "last_heartbeat_age_seconds"
            case targetExperts = "target_experts"
            case inFlightRows = "in_flight_rows"
            case queuedDispatches = "queued_dispatches"
            case residentBytes = "resident_bytes"
        }
    }

    public var status: String
    public var ready: Bool
    public var placementVersion: UInt64
    public var workers: [Worker]
    public var missingExperts: Int
    public var missing: String?
    public var dispatches: UInt64
    public var bytesSent: UInt64
    public var bytesReceived: UInt64
    public var droppedMessages: [String: UInt64]
    public var refusedRegistrations: UInt64
    public var resends: UInt64
    public var timeouts: UInt64
    public var failedCalls: UInt64

    enum CodingKeys: String, CodingKey {
        case status, ready, workers, missing, dispatches
        case placementVersion = "placement_version"
        case missingExperts = "missing_experts"
        case bytesSent = "bytes_sent"
        case bytesReceived = "bytes_received"
        case droppedMessages = "dropped_messages"
        case refusedRegistrations = "refused_registrations"
        case resends = "dispatch_resends"
        case timeouts = "dispatch_timeouts"
        case failedCalls = "failed_calls"
    }

    public init(status: String, ready: Bool, placementVersion: UInt64, workers: [Worker], missingExperts: Int,
                missing: String?, dispatches: UInt64, bytesSent: UInt64, bytesReceived: UInt64,
                droppedMessages: [String: UInt64], refusedRegistrations: UInt64, resends: UInt64, timeouts: UInt64,
                failedCalls: UInt64) {
        self.status = status
        self.ready = ready
        self.placementVersion = placementVersion
        self.workers = workers
        self.missingExperts = missingExperts
        self.missing = missing
        self.dispatches = dispatches
        self.bytesSent = bytesSent
        self.bytesReceived = bytesReceived
        self.droppedMessages = droppedMessages
        self.refusedRegistrations = refusedRegistrations
        self.resends = resends
        self.timeouts = timeouts
        self.failedCalls = failedCalls
    }
}

/// `POST /v1/cluster/workers/{id}/drain`: starts a graceful drain of one worker.
enum ClusterDrainEndpoint {
    struct Body: Encodable {
        var worker: String
        var state: String
        var detail: String
    }

    /// 202 when the drain started, 200 when it was already under way, 404 for an unknown worker
    /// or a server without a cluster.
    static func handle(_ cluster: (any ClusterControl)?, workerID: String?) throws -> Response {
        guard let cluster else {
            throw OpenAIError(status: .notFound, message: "This server runs every expert in-process: there is no cluster.",
                              type: "invalid_request_error", code: "not_found")
        }
        guard let workerID, !workerID.isEmpty else {
            throw OpenAIError(status: .badRequest, message: "Name the worker: POST /v1/cluster/workers/{id}/drain.",
                              type: "invalid_request_error", code: "invalid_worker")
        }
        switch cluster.drain(workerID: workerID) {
        case .unknownWorker:
            throw OpenAIError(status: .notFound, message: "No registered worker has id `\(workerID)`; GET /v1/cluster lists them.",
                              type: "invalid_request_error", param: "id", code: "unknown_worker")
        case .alreadyDraining:
            return try JSONResponse.make(Body(worker: workerID, state: "draining", detail: "the drain was already under way"))
        case .started:
            var response = try JSONResponse.make(Body(
                worker: workerID, state: "draining",
                detail: "no new experts go to this worker; its experts move to other workers, then it is released and exits"))
            response.status = .accepted
            return response
        }
    }
}
