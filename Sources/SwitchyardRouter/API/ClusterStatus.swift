/// The JSON body of `GET /v1/cluster`.
struct ClusterStatus: Encodable {
    struct Worker: Encodable {
        var id: String
        var experts: Int
        var targetExperts: Int
        var inFlightRows: Int
        var queuedDispatches: Int
        var residentBytes: UInt64
        var pinned: String?

        enum CodingKeys: String, CodingKey {
            case id, experts, pinned
            case targetExperts = "target_experts"
            case inFlightRows = "in_flight_rows"
            case queuedDispatches = "queued_dispatches"
            case residentBytes = "resident_bytes"
        }
    }

    var status: String
    var ready: Bool
    var placementVersion: UInt64
    var workers: [Worker]
    var missingExperts: Int
    var missing: String?
    var dispatches: UInt64
    var bytesSent: UInt64
    var bytesReceived: UInt64
    var droppedMessages: [String: UInt64]
    var refusedRegistrations: UInt64

    enum CodingKeys: String, CodingKey {
        case status, ready, workers, missing, dispatches
        case placementVersion = "placement_version"
        case missingExperts = "missing_experts"
        case bytesSent = "bytes_sent"
        case bytesReceived = "bytes_received"
        case droppedMessages = "dropped_messages"
        case refusedRegistrations = "refused_registrations"
    }

    init(_ snapshot: ClusterSnapshot, health: HealthReport) {
        status = health.status
        ready = health.ready
        placementVersion = snapshot.placementVersion
        workers = snapshot.workers.map {
            Worker(id: $0.id, experts: $0.experts, targetExperts: $0.target, inFlightRows: $0.inFlightRows,
                   queuedDispatches: $0.queuedDispatches, residentBytes: $0.residentBytes, pinned: $0.pinned)
        }
        missingExperts = snapshot.missing
        missing = health.detail["missing_experts"]
        dispatches = snapshot.statistics.dispatches
        bytesSent = snapshot.statistics.bytesSent
        bytesReceived = snapshot.statistics.bytesReceived
        droppedMessages = Dictionary(uniqueKeysWithValues: snapshot.drops.all.filter { $0.count > 0 }.map { ($0.reason.label, $0.count) })
        refusedRegistrations = snapshot.refusedRegistrations
    }
}
