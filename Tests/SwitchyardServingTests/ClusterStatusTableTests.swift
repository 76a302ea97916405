import Foundation
import Testing
@testable import SwitchyardServing

@Suite("switchyard status table")
struct ClusterStatusTableTests {
    func status(ready: Bool, workers: [ClusterStatus.Worker], missing: Int = 0, text: String? = nil) throws -> ClusterStatus {
        let object: [String: Any] = [
            "status": ready ? "ok" : "degraded", "ready": ready, "placement_version": 7, "missing_experts": missing,
            "dispatches": 10, "bytes_sent": 1, "bytes_received": 2, "dropped_messages": [String: Int](), "refused_registrations": 0,
            "dispatch_resends": 3, "dispatch_timeouts": 0, "failed_calls": 0, "workers": [[String: Any]](),
        ].merging(text.map { ["missing": $0] } ?? [:]) { a, _ in a }
        var decoded = try JSONDecoder().decode(ClusterStatus.self, from: JSONSerialization.data(withJSONObject: object))
        decoded.workers = workers
        return decoded
    }

    func worker(_ id: String, _ state: String, experts: Int = 4, reason: String? = nil) -> ClusterStatus.Worker {
        ClusterStatus.Worker(id: id, state: state, experts: experts, held: experts > 0 ? "L0:0-3" : "", targetExperts: experts,
                             inFlightRows: 12, queuedDispatches: 1, residentBytes: 3 << 20, pinned: nil,
                             lastHeartbeatAgeSeconds: 0.3, reason: reason)
    }

    @Test func servingClusterWithADrainingAndADeadWorker() throws {
        let text = ClusterStatusTable.render(try status(ready: true, workers: [
            worker("alpha", "live"), worker("b", "draining"), worker("gone", "dead", experts: 0, reason: "silent for 3 heartbeat intervals"),
        ]))
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "serving: 2 workers (1 draining), placement v7, 3 dispatches re-sent, 0 failed")
        #expect(lines[1].hasPrefix("WORKER  STATE     EXPERTS"))
        #expect(lines[2].hasPrefix("alpha   live      4/4"))
        #expect(lines[2].contains("3.0 MiB") && lines[2].contains("0.3s ago") && lines[2].hasSuffix("L0:0-3"))
        #expect(lines[4].hasPrefix("gone    dead") && lines[4].hasSuffix("(silent for 3 heartbeat intervals)"))
    }

    @Test func degradedNamesTheMissingExperts() throws {
        let summary = ClusterStatusTable.summary(try status(ready: false, workers: [worker("a", "live")], missing: 2, text: "L0:3 L1:3"))
        #expect(summary.hasPrefix("degraded: 1 worker, placement v7, 2 missing experts: L0:3 L1:3"))
        let empty = ClusterStatusTable.render(try status(ready: false, workers: [], missing: 8))
        #expect(empty.hasPrefix("waiting for workers: 0 workers") && empty.hasSuffix("no workers"))
    }
}
