import Synchronization

/// A small, thread-safe set of Prometheus metrics rendered in the text exposition format
/// (version 0.0.4). Counters and histograms are updated from any thread; gauges that mirror
/// state elsewhere are read at scrape time through closures.
public final class PrometheusRegistry: Sendable {
    /// A metric family: name, help text and type.
    package struct Family: Sendable {
        var name: String
        var help: String
        var type: String
    }

    package struct Histogram: Sendable {
        var buckets: [Double]
        var counts: [UInt64]
        var sum: Double = 0
        var count: UInt64 = 0
    }

    package struct Storage: Sendable {
        var families: [String: Family] = [:]
        var order: [String] = []
        /// family name -> label text -> value
        var counters: [String: [String: Double]] = [:]
        var histograms: [String: [String: Histogram]] = [:]
        var gauges: [String: @Sendable () -> [(labels: String, value: Double)]] = [:]
        var counterFunctions: [String: @Sendable () -> [(labels: String, value: Double)]] = [:]
        /// Groups of gauges and counters read from one snapshot per scrape.
        var collectors: [@Sendable () -> [String: [(labels: String, value: Double)]]] = []
        /// Labels every sample carries (`model_name`), as label text without braces.
        var constantLabels = ""
    }

    private let storage = Mutex(Storage())

    public init() {}

    private func declare(_ name: String, _ help: String, _ type: String, in storage: inout Storage) {
        if storage.families[name] == nil {
            storage.families[name] = Family(name: name, help: help, type: type)
            storage.order.append(name)
        }
    }

    /// Labels added to every sample when rendered, such as vLLM's `model_name`.
    public func setConstantLabels(_ labels: [(String, String)]) {
        let text = Self.labelText(labels)
        storage.withLock { $0.constantLabels = text.isEmpty ? "" : String(text.dropFirst().dropLast()) }
    }

    /// Declares a counter so it is exported (at 0) before its first increment.
    public func declareCounter(_ name: String, help: String) {
        storage.withLock { declare(name, help, "counter", in: &$0) }
    }

    /// Adds `amount` to a counter with the given labels.
    public func increment(_ name: String, help: String, labels: [(String, String)] = [], by amount: Double = 1) {
        let key = Self.labelText(labels)
        storage.withLock { storage in
            declare(name, help, "counter", in: &storage)
            storage.counters[name, default: [:]][key, default: 0] += amount
        }
    }

    /// Records one observation in a histogram with the given upper bucket bounds.
    public func observe(_ name: String, help: String, buckets: [Double], value: Double, labels: [(String, String)] = []) {
        let key = Self.labelText(labels)
        storage.withLock { storage in
            declare(name, help, "histogram", in: &storage)
            var histogram = storage.histograms[name]?[key] ?? Histogram(buckets: buckets, counts: Array(repeating: 0, count: buckets.count))
            for (index, bound) in histogram.buckets.enumerated() where value <= bound {
                histogram.counts[index] += 1
            }
            histogram.sum += value
            histogram.count += 1
            storage.histograms[name, default: [:]][key] = histogram
        }
    }

    /// Registers a gauge whose samples are read when scraped.
    public func gauge(_ name: String, help: String, read: @escaping @Sendable () -> [(labels: String, value: Double)]) {
        storage.withLock { storage in
            declare(name, help, "gauge", in: &storage)
            storage.gauges[name] = read
        }
    }

    /// Registers a counter whose samples are read when scraped (the count lives elsewhere).
    public func counter(_ name: String, help: String, read: @escaping @Sendable () -> [(labels: String, value: Double)]) {
        storage.withLock { storage in
            declare(name, help, "counter", in: &storage)
            storage.counterFunctions[name] = read
        }
    }

    /// Registers gauges and counters (`families`: name, help, "gauge" or "counter") whose samples
    /// come from one `read` per scrape, keyed by family name, so they agree with each other and
    /// the state behind them is snapshotted once.
    public func collector(_ families: [(name: String, help: String, type: String)],
                          read: @escaping @Sendable () -> [String: [(labels: String, value: Double)]]) {
        storage.withLock { storage in
            for family in families {
                precondition(family.type == "gauge" || family.type == "counter", "a collector exports gauges and counters")
                declare(family.name, family.help, family.type, in: &storage)
            }
            storage.collectors.append(read)
        }
    }

    /// Registers an unlabelled gauge.
    public func gauge(_ name: String, help: String, value: @escaping @Sendable () -> Double) {
        gauge(name, help: help) { [(labels: "", value: value())] }
    }

    /// The value of a counter (for tests and status pages).
    public func counterValue(_ name: String, labels: [(String, String)] = []) -> Double {
        storage.withLock { $0.counters[name]?[Self.labelText(labels)] ?? 0 }
    }

    /// The number of observations in a histogram.
    public func histogramCount(_ name: String, labels: [(String, String)] = []) -> UInt64 {
        storage.withLock { $0.histograms[name]?[Self.labelText(labels)]?.count ?? 0 }
    }

    /// Everything in the Prometheus text format.
    public func render() -> String {
        let snapshot = storage.withLock { $0 }
        var collected: [String: [(labels: String, value: Double)]] = [:]
        for read in snapshot.collectors {
            collected.merge(read()) { first, _ in first }
        }
        let constant = snapshot.constantLabels
        /// A sample's labels with the constant ones first.
        func labelled(_ labels: String) -> String {
            if constant.isEmpty { return labels }
            if labels.isEmpty { return "{\(constant)}" }
            return "{\(constant)," + labels.dropFirst()
        }
        var out = ""
        for name in snapshot.order {
            guard let family = snapshot.families[name] else { continue }
            out += "# HELP \(name) \(family.help)\n# TYPE \(name) \(family.type)\n"
            if let samples = collected[name] {
                for sample in samples { out += "\(name)\(labelled(sample.labels)) \(Self.format(sample.value))\n" }
                continue
            }
            switch family.type {
            case "counter":
                if let read = snapshot.counterFunctions[name] {
                    for sample in read() { out += "\(name)\(labelled(sample.labels)) \(Self.format(sample.value))\n" }
                    continue
                }
                let samples = snapshot.counters[name] ?? [:]
                if samples.isEmpty { out += "\(name)\(labelled("")) 0\n" }
                for (labels, value) in samples.sorted(by: { $0.key < $1.key }) {
                    out += "\(name)\(labelled(labels)) \(Self.format(value))\n"
                }
            case "histogram":
                for (raw, histogram) in (snapshot.histograms[name] ?? [:]).sorted(by: { $0.key < $1.key }) {
                    let labels = labelled(raw)
                    for (index, bound) in histogram.buckets.enumerated() {
                        out += "\(name)_bucket\(Self.merge(labels, "le", Self.format(bound))) \(histogram.counts[index])\n"
                    }
                    out += "\(name)_bucket\(Self.merge(labels, "le", "+Inf")) \(histogram.count)\n"
                    out += "\(name)_sum\(labels) \(Self.format(histogram.sum))\n"
                    out += "\(name)_count\(labels) \(histogram.count)\n"
                }
            default:
                for sample in snapshot.gauges[name]?() ?? [] {
                    out += "\(name)\(labelled(sample.labels)) \(Self.format(sample.value))\n"
                }
            }
        }
        return out
    }

    /// `{a="1",b="2"}` with values escaped, or "" with no labels.
    public static func labelText(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        let parts = labels.map { key, value in
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n")
            return "\(key)=\"\(escaped)\""
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    package static func merge(_ labels: String, _ key: String, _ value: String) -> String {
        if labels.isEmpty { return "{\(key)=\"\(value)\"}" }
        return String(labels.dropLast()) + ",\(key)=\"\(value)\"}"
    }

    package static func format(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

import Foundation
