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

    public init(directory: URL, config: ModelConfig, dtypes: WeightDTypes = .auto) {
        self.directory = directory
        self.config = config
        self.dtypes = dtypes
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
        let valid = keys.filter { config.isValid($0) }
        for key in keys where !config.isValid(key) {
            outcome.failed.append((key, "\(key) is not an FFN expert of this model"))
        }
        guard !valid.isEmpty else { return outcome }
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint(directory: directory, config: config, filter: .experts(Set(valid)), dtypes: dtypes)
        } catch {
            for key in valid { outcome.failed.append((key, "\(error)")) }
            return outcome
        }
        outcome.mappedBytes = checkpoint.mappedBytes
        for key in valid.sorted() {
            do {
                outcome.loaded[key] = try checkpoint.packedExpertFFN(layer: key.layer, expert: key.expert)
            } catch {
                outcome.failed.append((key, "\(error)"))
            }
        }
        return outcome
    }
}
