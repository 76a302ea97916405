import SwitchyardServing

extension ClusterService {
    /// Exports the worker link on `/metrics`: workers, missing experts, traffic, and dropped
    /// messages by reason.
    public func registerMetrics(_ registry: PrometheusRegistry) {
        registry.gauge("switchyard_workers", help: "Workers registered and alive.") { [weak self] in
            Double(self?.snapshot().workers.filter { $0.state == .live || $0.state == .draining }.count ?? 0)
        }
        registry.gauge("switchyard_experts_missing", help: "Experts (layer, expert) without a live holder.") { [weak self] in
            Double(self?.snapshot().missing ?? 0)
        }
        registry.gauge("switchyard_placement_version", help: "Version of the expert placement.") { [weak self] in
            Double(self?.snapshot().placementVersion ?? 0)
        }
        registry.counter("switchyard_dispatches_total", help: "Dispatches sent to workers.") { [weak self] in
            [(labels: "", value: Double(self?.snapshot().statistics.dispatches ?? 0))]
        }
        registry.counter("switchyard_dispatch_resends_total", help: "Dispatches re-sent to another holder after their worker died, refused or timed out.") { [weak self] in
            [(labels: "", value: Double(self?.snapshot().statistics.resends ?? 0))]
        }
        registry.counter("switchyard_dispatch_timeouts_total", help: "Dispatches whose reply missed the dispatch timeout.") { [weak self] in
            [(labels: "", value: Double(self?.snapshot().statistics.timeouts ?? 0))]
        }
        registry.counter("switchyard_dispatch_failed_calls_total", help: "Layer calls failed because no live holder could take their rows.") { [weak self] in
            [(labels: "", value: Double(self?.snapshot().statistics.failedCalls ?? 0))]
        }
        registry.gauge("switchyard_workers_suspect", help: "Workers that missed a dispatch deadline (routing avoids them).") { [weak self] in
            Double(self?.snapshot().workers.filter { $0.state == .suspect }.count ?? 0)
        }
        registry.counter("switchyard_workers_evicted_total", help: "Workers evicted after missing dispatch deadlines.") { [weak self] in
            [(labels: "", value: Double(self?.snapshot().statistics.evictions ?? 0))]
        }
        registry.counter("switchyard_log_lines_suppressed_total", help: "Repeated router log lines left out by the rate limit.") { [weak self] in
            [(labels: "", value: Double(self?.snapshot().statistics.suppressedLogLines ?? 0))]
        }
        registry.gauge("switchyard_workers_draining", help: "Workers being drained.") { [weak self] in
            Double(self?.snapshot().workers.filter { $0.state == .draining }.count ?? 0)
        }
        registry.counter("switchyard_dispatch_bytes_total", help: "Row bytes on the worker link, by direction.") { [weak self] in
            let stats = self?.snapshot().statistics ?? ClusterStatistics()
            return [(labels: PrometheusRegistry.labelText([("direction", "sent")]), value: Double(stats.bytesSent)),
                    (labels: PrometheusRegistry.labelText([("direction", "received")]), value: Double(stats.bytesReceived))]
        }
        registry.counter("switchyard_dropped_messages_total", help: "Worker messages dropped, by reason.") { [weak self] in
            guard let drops = self?.snapshot().drops else { return [] }
            return drops.all.map { (labels: PrometheusRegistry.labelText([("reason", $0.reason.label)]), value: Double($0.count)) }
        }
        registry.counter("switchyard_refused_worker_keys_total", help: "Workers refused at the CURVE handshake (key not allowed).") { [weak self] in
            [(labels: "", value: Double(self?.refusedWorkerKeys ?? 0))]
        }
        registry.counter("switchyard_refused_registrations_total", help: "Worker registrations refused (model mismatch, bad pin, duplicate id).") { [weak self] in
            [(labels: "", value: Double(self?.snapshot().refusedRegistrations ?? 0))]
        }
    }
}
