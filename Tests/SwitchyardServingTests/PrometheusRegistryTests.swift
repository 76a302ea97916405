import Synchronization
import TestSupport
import Testing
import SwitchyardModel
@testable import SwitchyardServing

@Suite("Prometheus registry")
struct PrometheusRegistryTests {
    @Test("a collector is read once per scrape and its families render in declaration order")
    func collectorReadsOnce() {
        let registry = PrometheusRegistry()
        let reads = Mutex(0)
        registry.collector([("a_workers", "Workers.", "gauge"), ("a_sent_total", "Sent.", "counter")]) {
            let n = reads.withLock { $0 += 1; return $0 }
            return ["a_workers": [(labels: "", value: Double(n))],
                    "a_sent_total": [(labels: PrometheusRegistry.labelText([("direction", "out")]), value: 7)]]
        }
        let text = registry.render()
        #expect(reads.withLock { $0 } == 1)
        #expect(text == """
            # HELP a_workers Workers.
            # TYPE a_workers gauge
            a_workers 1
            # HELP a_sent_total Sent.
            # TYPE a_sent_total counter
            a_sent_total{direction="out"} 7

            """)
        _ = registry.render()
        #expect(reads.withLock { $0 } == 2)
    }

    @Test("expert traffic is exported from the engine's counters, only experts that got tokens")
    func expertTraffic() async throws {
        let engine = try Engine.load(directory: TinyModel.directory)
        let metrics = ServingMetrics()
        metrics.export(engine.traffic)
        #expect(!metrics.registry.render().contains("switchyard_expert_tokens_total{"))
        engine.traffic.record(layer: 1, counts: [0, 3, 0, 2])
        engine.traffic.record(layer: 1, counts: [0, 1])
        let lines = metrics.registry.render().split(separator: "\n").filter { $0.hasPrefix("switchyard_expert_tokens_total{") }
        #expect(lines == [#"switchyard_expert_tokens_total{layer="1",expert="1"} 4"#, #"switchyard_expert_tokens_total{layer="1",expert="3"} 2"#])
    }
}
