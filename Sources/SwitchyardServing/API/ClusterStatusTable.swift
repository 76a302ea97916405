import Foundation

/// `switchyard status` as text: a summary line, then one row per worker. Pure.
public enum ClusterStatusTable {
    /// `serving: 3 workers (1 draining), placement v12` or `degraded: missing experts L0:3 ...`.
    public static func summary(_ status: ClusterStatus) -> String {
        let registered = status.workers.filter { $0.state == "live" || $0.state == "draining" }
        let draining = registered.filter { $0.state == "draining" }.count
        var line = status.ready ? "serving" : (registered.isEmpty ? "waiting for workers" : "degraded")
        line += ": \(registered.count) worker\(registered.count == 1 ? "" : "s")"
        if draining > 0 { line += " (\(draining) draining)" }
        line += ", placement v\(status.placementVersion)"
        if status.missingExperts > 0 {
            line += ", \(status.missingExperts) missing expert\(status.missingExperts == 1 ? "" : "s")"
            if let missing = status.missing, !missing.isEmpty { line += ": \(missing)" }
        }
        if status.resends > 0 || status.failedCalls > 0 {
            line += ", \(status.resends) dispatches re-sent, \(status.failedCalls) failed"
        }
        return line
    }

    /// The summary line and an aligned table of workers.
    public static func render(_ status: ClusterStatus) -> String {
        let header = ["WORKER", "STATE", "EXPERTS", "IN-FLIGHT ROWS", "QUEUED", "RESIDENT", "LAST HEARD", "HELD"]
        let rows = status.workers.map { worker -> [String] in
            [worker.id, worker.state, "\(worker.experts)/\(worker.targetExperts)", "\(worker.inFlightRows)", "\(worker.queuedDispatches)",
             mebibytes(worker.residentBytes), age(worker.lastHeartbeatAgeSeconds),
             worker.reason.map { "(\($0))" } ?? (worker.pinned.map { "pinned \($0): " } ?? "") + worker.held]
        }
        var lines = [summary(status)]
        if rows.isEmpty {
            lines.append("no workers")
        } else {
            let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max()! }
            for row in [header] + rows {
                let cells = row.enumerated().map { column, cell in
                    column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                }
                lines.append(cells.joined(separator: "  "))
            }
        }
        return lines.joined(separator: "\n")
    }

    static func mebibytes(_ bytes: UInt64) -> String {
        String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }

    static func age(_ seconds: Double) -> String {
        seconds < 10 ? String(format: "%.1fs ago", seconds) : String(format: "%.0fs ago", seconds)
    }
}
