import Foundation
import SwitchyardModel

/// Reads the weights of some experts from a checkpoint, mapping only their tensors.
///
/// Each call opens the checkpoint with `TensorFilter.experts(keys)`, copies the experts into
/// `ExpertFFN`s and closes it again, so the worker's resident memory is the experts it holds,
/// not the files. Pure apart from reading files; runs on the worker's loader thread.
public struct ExpertLoader: Sendable {
    public let directory: URL
    public let config: ModelConfig
    /// The format experts are kept in (`dtypes.experts`).
    public let dtypes: WeightDTypes
    /// Keys are units of this slicing: each loads its slice of an expert (`ExpertFFN.slice`).
    public let slicing: ExpertSlicing

    public init(directory: URL, config: ModelConfig, dtypes: WeightDTypes = .auto, slicing: ExpertSlicing = .whole) {
        self.directory = directory
        self.config = config
        self.dtypes = dtypes
        self.slicing = slicing
    }

    /// What one load produced.
    public struct Outcome: Sendable {
        public var loaded: [ExpertKey: ExpertFFN] = [:]
        /// Keys that could not be loaded, with the reason of each.
        public var failed: [(key: ExpertKey, error: String)] = []
        /// Bytes of checkpoint the load mapped (only the requested experts' ranges).
        public var mappedBytes = 0
    }

    /// Loads `keys`; never throws: every problem is reported per key in `failed`.
    public func load(_ keys: [ExpertKey]) -> Outcome {
        var outcome = Outcome()
        let isValid = { (key: ExpertKey) in
            key.layer >= 0 && key.layer < config.numLayers && key.expert >= 0
                && key.expert < slicing.units(layer: key.layer, config: config)
        }
        let valid = keys.filter(isValid)
        for key in keys where !isValid(key) {
            outcome.failed.append((key, "\(key) is not an FFN expert\(slicing.count > 1 ? " slice" : "") of this model"))
        }
        guard !valid.isEmpty else { return outcome }
        let checkpoint: Checkpoint
        do {
            let experts = Set(valid.map(slicing.expertKey(ofUnit:)))
            checkpoint = try Checkpoint(directory: directory, config: config, filter: .experts(experts), dtypes: dtypes)
        } catch {
            for key in valid { outcome.failed.append((key, "\(error)")) }
            return outcome
        }
        outcome.mappedBytes = checkpoint.mappedBytes
        // Units in order, so the slices of one expert come together and share one read of it.
        var whole: (key: ExpertKey, ffn: ExpertFFN)?
        for key in valid.sorted() {
            do {
                let expert = slicing.expertKey(ofUnit: key)
                if whole?.key != expert {
                    whole = (expert, try checkpoint.packedExpertFFN(layer: expert.layer, expert: expert.expert))
                }
                outcome.loaded[key] = try whole!.ffn.slice(slicing.slice(ofUnit: key.expert), of: slicing.count)
            } catch {
                outcome.failed.append((key, "\(error)"))
            }
        }
        return outcome
    }
}
