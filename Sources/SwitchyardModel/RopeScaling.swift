import Foundation

/// A RoPE frequency scaling (`rope_scaling` / `rope_parameters` with a `rope_type` other than default).
///
/// Only Llama 3's (`rope_type: "llama3"`) is implemented: low frequencies divided by `factor`, high
/// ones kept, a smooth blend between (transformers' `_compute_llama3_parameters`); it leaves the
/// attention scaling at 1.
public struct RopeScaling: Sendable, Equatable {
    public var factor: Double
    public var lowFrequencyFactor: Double
    public var highFrequencyFactor: Double
    public var originalMaxPositions: Int

    public init(factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double, originalMaxPositions: Int) {
        self.factor = factor
        self.lowFrequencyFactor = lowFrequencyFactor
        self.highFrequencyFactor = highFrequencyFactor
        self.originalMaxPositions = originalMaxPositions
    }

    /// `inverseFrequencies` (`theta^(-2i/d)`) scaled the Llama 3 way.
    public func apply(to inverseFrequencies: [Double]) -> [Double] {
        let old = Double(originalMaxPositions)
        let lowWavelength = old / lowFrequencyFactor
        let highWavelength = old / highFrequencyFactor
        return inverseFrequencies.map { frequency in
            let wavelength = 2 * Double.pi / frequency
            if wavelength < highWavelength { return frequency }
            if wavelength > lowWavelength { return frequency / factor }
            let smooth = (old / wavelength - lowFrequencyFactor) / (highFrequencyFactor - lowFrequencyFactor)
            return (1 - smooth) * frequency / factor + smooth * frequency
        }
    }
}
