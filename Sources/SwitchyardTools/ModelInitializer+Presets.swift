import SwitchyardModel
import SwitchyardTensor

extension ModelInitializer {
    /// Model sizes `init-model` writes (each family's file adapts them).
    public typealias Preset = ModelPreset

    /// The config of `family` at `preset` size.
    public static func config(family: ModelFamily, preset: Preset, dtype: DType = .f32) -> ModelConfig {
        preset.config(family: family, dtype: dtype)
    }
}
