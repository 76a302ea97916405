import Foundation
@testable import SwitchyardModel

/// The config tests' two helpers: decode a `config.json` text (and optionally its
/// `generation_config.json`), or get the description of the error it is refused with.
protocol ConfigDecodingSuite {}

extension ConfigDecodingSuite {
    func decode(_ json: String, generation: String? = nil) throws -> ModelConfig {
        try ModelConfig.decode(configJSON: Data(json.utf8), generationConfigJSON: generation.map { Data($0.utf8) })
    }

    /// The error's description, or nil when the config decodes.
    func error(_ json: String) -> String? {
        do {
            _ = try decode(json)
            return nil
        } catch {
            return String(describing: error)
        }
    }
}
