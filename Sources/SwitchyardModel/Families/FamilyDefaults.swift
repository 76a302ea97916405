/// transformers' configuration-class defaults of one family: what a `config.json` key means when absent.
package struct FamilyDefaults: Sendable {
    var intermediate: Int
    var moeIntermediate: Int
    var numExperts: Int
    var topK: Int
    /// nil: same as `num_attention_heads`.
    var kvHeads: Int?
    var rmsNormEps: Double
    var ropeTheta: Double
    var maxPositions: Int
    var bos: Int?
    var eos: [Int]

    package init(intermediate: Int, moeIntermediate: Int, numExperts: Int, topK: Int, kvHeads: Int?, rmsNormEps: Double,
                 ropeTheta: Double, maxPositions: Int, bos: Int?, eos: [Int]) {
        self.intermediate = intermediate
        self.moeIntermediate = moeIntermediate
        self.numExperts = numExperts
        self.topK = topK
        self.kvHeads = kvHeads
        self.rmsNormEps = rmsNormEps
        self.ropeTheta = ropeTheta
        self.maxPositions = maxPositions
        self.bos = bos
        self.eos = eos
    }
}
