/// How the cluster cuts each FFN expert into `count` slices by its intermediate rows, so that
/// workers holding slices share every routed row's work evenly however the gate routes it.
///
/// With two workers holding four whole experts each, a layer waits for the one that got more
/// rows while the other's core idles; with each worker holding one half of every expert, both
/// compute every routed row over half the intermediate size, and the router adds the two halves
/// (`ExpertFFN.slice`). The cost: a row goes to every worker holding a slice of its experts.
///
/// Placement, routing and the wire see *units*: unit `expert * count + slice` of a layer is one
/// slice of one expert, and everything that places or dispatches experts works on units
/// unchanged. With `count` 1 a unit is a whole expert and its id the expert's.
public struct ExpertSlicing: Sendable, Equatable {
    /// Slices per expert, at least 1.
    public let count: Int

    public init(count: Int) throws {
        guard count >= 1 else { throw ModelError.invalidSlice("--expert-slices must be at least 1, got \(count)") }
        self.count = count
    }

    /// Whole experts: each unit is an expert.
    public static let whole = try! ExpertSlicing(count: 1)

    /// The expert a unit is a slice of.
    @inline(__always) public func expert(ofUnit unit: Int) -> Int { unit / count }
    /// Which slice of its expert a unit is.
    @inline(__always) public func slice(ofUnit unit: Int) -> Int { unit % count }
    /// The unit of `slice` of `expert`.
    @inline(__always) public func unit(expert: Int, slice: Int) -> Int { expert * count + slice }

    /// Units of `layer` (its FFN experts times `count`).
    public func units(layer: Int, config: ModelConfig) -> Int { config.ffnExperts(layer: layer) * count }

    /// Every unit of the model, in (layer, unit) order.
    public func allUnits(_ config: ModelConfig) -> [ExpertKey] {
        (0..<config.numLayers).flatMap { layer in (0..<units(layer: layer, config: config)).map { ExpertKey(layer: layer, expert: $0) } }
    }

    /// The expert a unit key is a slice of.
    public func expertKey(ofUnit key: ExpertKey) -> ExpertKey { ExpertKey(layer: key.layer, expert: expert(ofUnit: key.expert)) }

    /// Every unit of the experts whose ids are in `experts` (a worker's `--experts` pins).
    public func units(ofExperts experts: Set<Int>) -> Set<Int> {
        Set(experts.flatMap { expert in (0..<count).map { unit(expert: expert, slice: $0) } })
    }

    /// Checks that every expert of `config` splits into `count` equal slices: its intermediate
    /// size must divide by `count` (block formats further need each cut on a block boundary,
    /// which the worker checks when it cuts).
    public func validate(_ config: ModelConfig) throws {
        guard count > 1 else { return }
        for layer in 0..<config.numLayers {
            for expert in 0..<config.ffnExperts(layer: layer) {
                let size = config.expertIntermediateSize(layer: layer, expert: expert)
                guard size % count == 0 else {
                    throw ModelError.invalidSlice("layer \(layer) expert \(expert) has intermediate size \(size), which does not divide into \(count) slices")
                }
            }
        }
    }

    /// `routes` with each slot replaced by one slot per slice of its expert (same weight), in
    /// unit ids: the sum over a row's slots is then the same FFN output. Unused slots (-1) stay
    /// unused, once per slice.
    public func expand(_ routes: ExpertRoutes) -> ExpertRoutes {
        guard count > 1 else { return routes }
        let slots = routes.expertIDs.count * count
        var ids = [Int32](repeating: -1, count: slots)
        var weights = [Float](repeating: 0, count: slots)
        for (slot, expert) in routes.expertIDs.enumerated() {
            for slice in 0..<count {
                ids[slot * count + slice] = expert < 0 ? -1 : Int32(unit(expert: Int(expert), slice: slice))
                weights[slot * count + slice] = routes.weights[slot]
            }
        }
        return ExpertRoutes(rows: routes.rows, slotsPerRow: routes.slotsPerRow * count, expertIDs: ids, weights: weights)
    }
}
