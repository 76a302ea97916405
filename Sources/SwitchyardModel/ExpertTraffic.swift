import Synchronization

/// An engine's routing counts since it started: tokens routed to each (layer, expert), and the FFN
/// calls in which each expert had any token (each such call streams that expert's weights), and the
/// time the engine spent in its expert backend (in-process compute, or the round trip to workers
/// with packing and the wake-up after it), so `serve` and `router` can be compared call for call.
///
/// Sized for the model at creation; the engine adds one layer call at a time under one lock, with
/// no allocation. `/metrics` formats a snapshot only when scraped; `perf` takes differences.
public final class ExpertTraffic: Sendable {
    /// Cumulative counts, row-major `[layer][expert]`, `experts` wide.
    public struct Snapshot: Sendable, Equatable {
        public let layers: Int
        public let experts: Int
        public var tokens: [UInt64]
        public var calls: [UInt64]
        /// FFN calls (one layer of one micro-batch) the engine made, and the microseconds it
        /// spent waiting on them in total.
        public var ffnCalls: UInt64 = 0
        public var ffnMicros: UInt64 = 0

        /// Tokens routed to `expert` of `layer`.
        public func tokens(layer: Int, expert: Int) -> UInt64 { tokens[layer * experts + expert] }
        /// Layer calls in which `expert` of `layer` had work.
        public func calls(layer: Int, expert: Int) -> UInt64 { calls[layer * experts + expert] }
    }

    public let layers: Int
    /// The widest layer's expert count (dense layers count as one expert).
    public let experts: Int
    private let counts: Mutex<Snapshot>

    public init(config: ModelConfig) {
        layers = config.numLayers
        experts = (0..<config.numLayers).map { config.ffnExperts(layer: $0) }.max() ?? 1
        let zeros = [UInt64](repeating: 0, count: layers * experts)
        counts = Mutex(Snapshot(layers: layers, experts: experts, tokens: zeros, calls: zeros))
    }

    /// Adds one layer call's per-expert token counts.
    public func record(layer: Int, counts perExpert: [Int]) {
        precondition(layer < layers && perExpert.count <= experts, "layer \(layer) with \(perExpert.count) experts outside \(layers) x \(experts)")
        counts.withLock { counts in
            let base = layer * experts
            for (expert, count) in perExpert.enumerated() where count > 0 {
                counts.tokens[base + expert] &+= UInt64(count)
                counts.calls[base + expert] &+= 1
            }
        }
    }

    /// Adds one FFN call that took `micros` microseconds.
    public func recordFFNCall(micros: UInt64) {
        counts.withLock { counts in
            counts.ffnCalls &+= 1
            counts.ffnMicros &+= micros
        }
    }

    /// The FFN calls and their microseconds so far, without copying the per-expert counts.
    public func ffnTotals() -> (calls: UInt64, micros: UInt64) {
        counts.withLock { ($0.ffnCalls, $0.ffnMicros) }
    }

    /// The counts now.
    public func snapshot() -> Snapshot { counts.withLock { $0 } }
}
