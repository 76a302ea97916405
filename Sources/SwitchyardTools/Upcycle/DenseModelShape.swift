/// The dimensions of a dense Llama-style model (`LlamaForCausalLM` or a `llama` GGUF), as
/// `upcycle` needs them: enough to name, size and check every tensor.
public struct DenseModelShape: Sendable, Equatable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numLayers: Int
    public var numHeads: Int
    public var numKVHeads: Int
    public var headDim: Int
    public var vocabSize: Int
    /// True when the LM head reuses `model.embed_tokens.weight` (no `lm_head.weight` tensor).
    public var tieWordEmbeddings: Bool

    public init(hiddenSize: Int, intermediateSize: Int, numLayers: Int, numHeads: Int, numKVHeads: Int,
                headDim: Int, vocabSize: Int, tieWordEmbeddings: Bool) {
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.numLayers = numLayers
        self.numHeads = numHeads
        self.numKVHeads = numKVHeads
        self.headDim = headDim
        self.vocabSize = vocabSize
        self.tieWordEmbeddings = tieWordEmbeddings
    }

    /// HF names and shapes of every tensor except the FFN projections, in file order.
    public func attentionAndEmbeddingTensors(layer: Int) -> [(String, [Int])] {
        let p = "model.layers.\(layer)."
        return [
            (p + "input_layernorm.weight", [hiddenSize]),
            (p + "self_attn.q_proj.weight", [numHeads * headDim, hiddenSize]),
            (p + "self_attn.k_proj.weight", [numKVHeads * headDim, hiddenSize]),
            (p + "self_attn.v_proj.weight", [numKVHeads * headDim, hiddenSize]),
            (p + "self_attn.o_proj.weight", [hiddenSize, numHeads * headDim]),
            (p + "post_attention_layernorm.weight", [hiddenSize]),
        ]
    }

    /// The dense FFN projection names of `layer` (gate, up, down) and their shapes.
    public func ffnTensors(layer: Int) -> (gate: String, up: String, down: String) {
        let p = "model.layers.\(layer).mlp."
        return (p + "gate_proj.weight", p + "up_proj.weight", p + "down_proj.weight")
    }

    /// Parameters of the dense model.
    public var parameterCount: Int {
        let attention = hiddenSize * (numHeads * headDim) * 2 + hiddenSize * (numKVHeads * headDim) * 2 + 2 * hiddenSize
        let ffn = 3 * hiddenSize * intermediateSize
        return vocabSize * hiddenSize * (tieWordEmbeddings ? 1 : 2) + hiddenSize + numLayers * (attention + ffn)
    }
}
