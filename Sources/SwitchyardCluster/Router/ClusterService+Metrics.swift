import SwitchyardServing

extension ClusterService {
    /// Exports the cluster's gauges and counters on `/metrics`, all read from one snapshot per scrape.
    public func registerMetrics(_ registry: PrometheusRegistry) {
        let families: [(name: String, help: String, type: String)] = [
            ("switchyard_workers", "Workers registered and alive.", "gauge"),
            ("switchyard_experts_missing", "Experts (layer, expert) without a live holder.", "gauge"),
            ("switchyard_placement_version", "Version of the expert placement.", "gauge"),
            ("switchyard_dispatches_total", "Dispatches sent to workers.", "counter"),
            ("switchyard_dispatch_resends_total", "Dispatches re-sent to another holder after their worker died, refused or timed out.", "counter"),
            ("switchyard_dispatch_timeouts_total", "Dispatches whose reply missed the dispatch timeout.", "counter"),
            ("switchyard_dispatch_failed_calls_total", "Layer calls failed because no live holder could take their rows.", "counter"),
            ("switchyard_workers_suspect", "Workers that missed a dispatch deadline (routing avoids them).", "gauge"),
            ("switchyard_workers_evicted_total", "Workers evicted after missing dispatch deadlines.", "counter"),
            ("switchyard_workers_lost_total", "Workers lost (silent, socket gone, said goodbye, or evicted): their dispatches are re-sent.", "counter"),
            ("switchyard_log_lines_suppressed_total", "Repeated router log lines left out by the rate limit.", "counter"),
            ("switchyard_workers_draining", "Workers being drained.", "gauge"),
            ("switchyard_dispatch_bytes_total", "Row bytes on the worker link, by direction.", "counter"),
            ("switchyard_layer_calls_total", "Layer calls (one layer of one micro-batch) answered by the workers.", "counter"),
            ("switchyard_layer_call_seconds_total", "Wall time of the answered layer calls, from dispatch to the last reply combined.", "counter"),
            ("switchyard_worker_compute_seconds_total", "Compute time the workers reported in their replies.", "counter"),
            ("switchyard_layer_call_slowest_compute_seconds_total", "Over the answered layer calls, the longest compute one worker reported for each (layer call time less this is what the link adds).", "counter"),
            ("switchyard_lane_dispatches_total", "Dispatches sent through workers' shared-memory lanes (same host) rather than ZeroMQ.", "counter"),
            ("switchyard_lane_fallbacks_total", "Dispatches to a worker with a lane sent over ZeroMQ because the lane's ring was full or too small.", "counter"),
            ("switchyard_lanes", "Workers whose shared-memory lane the router uses.", "gauge"),
            ("switchyard_dropped_messages_total", "Worker messages dropped, by reason.", "counter"),
            ("switchyard_refused_worker_keys_total", "Workers refused at the CURVE handshake (key not allowed).", "counter"),
            ("switchyard_refused_registrations_total", "Worker registrations refused (model mismatch, bad pin, duplicate id).", "counter"),
        ]
        registry.collector(families) { [weak self] in
            guard let self else { return [:] }
            let snapshot = self.snapshot()
            let stats = snapshot.statistics
            func one(_ value: some BinaryInteger) -> [(labels: String, value: Double)] { [(labels: "", value: Double(value))] }
            func workers(_ states: Set<ClusterSnapshot.WorkerState>) -> [(labels: String, value: Double)] {
                one(snapshot.workers.filter { states.contains($0.state) }.count)
            }
            return [
                "switchyard_workers": workers([.live, .draining]),
                "switchyard_experts_missing": one(snapshot.missing),
                "switchyard_placement_version": one(snapshot.placementVersion),
                "switchyard_dispatches_total": one(stats.dispatches),
                "switchyard_dispatch_resends_total": one(stats.resends),
                "switchyard_dispatch_timeouts_total": one(stats.timeouts),
                "switchyard_dispatch_failed_calls_total": one(stats.failedCalls),
                "switchyard_workers_suspect": workers([.suspect]),
                "switchyard_workers_evicted_total": one(stats.evictions),
                "switchyard_workers_lost_total": one(stats.workersLost),
                "switchyard_log_lines_suppressed_total": one(stats.suppressedLogLines),
                "switchyard_workers_draining": workers([.draining]),
                "switchyard_dispatch_bytes_total": [
                    (labels: PrometheusRegistry.labelText([("direction", "sent")]), value: Double(stats.bytesSent)),
                    (labels: PrometheusRegistry.labelText([("direction", "received")]), value: Double(stats.bytesReceived)),
                ],
                "switchyard_layer_calls_total": one(stats.layerCalls),
                "switchyard_layer_call_seconds_total": [(labels: "", value: Double(stats.layerCallMicros) / 1e6)],
                "switchyard_worker_compute_seconds_total": [(labels: "", value: Double(stats.computeMicros) / 1e6)],
                "switchyard_layer_call_slowest_compute_seconds_total": [(labels: "", value: Double(stats.slowestComputeMicros) / 1e6)],
                "switchyard_lane_dispatches_total": one(stats.laneDispatches),
                "switchyard_lane_fallbacks_total": one(stats.laneFallbacks),
                "switchyard_lanes": one(self.laneCount),
                "switchyard_dropped_messages_total": snapshot.drops.all.map {
                    (labels: PrometheusRegistry.labelText([("reason", $0.reason.label)]), value: Double($0.count))
                },
                "switchyard_refused_worker_keys_total": one(self.refusedWorkerKeys),
                "switchyard_refused_registrations_total": one(snapshot.refusedRegistrations),
            ]
        }
    }
}
