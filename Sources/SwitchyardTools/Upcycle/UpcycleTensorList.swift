import SwitchyardModel

/// Every tensor of the upcycled Mixtral checkpoint, in file order, with where its values come from.
struct UpcycleTensorList {
    /// Where one output tensor's values come from.
    enum Origin: Equatable {
        /// Copied unchanged from the dense tensor of the same name.
        case dense
        /// The router of a layer.
        case router(layer: Int)
        /// One projection of one expert of a layer.
        case expert(layer: Int, expert: Int, projection: MixtralProjection)

        var layer: Int? {
            switch self {
            case .dense: nil
            case let .router(layer), let .expert(layer, _, _): layer
            }
        }
    }

    struct Entry {
        var spec: TensorSpec
        var origin: Origin
    }

    let entries: [Entry]

    init(shape: DenseModelShape, experts: Int, expertIntermediateSize: Int) {
        let (hidden, size) = (shape.hiddenSize, expertIntermediateSize)
        var entries = [Entry(spec: TensorSpec(name: "model.embed_tokens.weight", shape: [shape.vocabSize, hidden]), origin: .dense)]
        for layer in 0..<shape.numLayers {
            for (name, dims) in shape.attentionAndEmbeddingTensors(layer: layer) {
                entries.append(Entry(spec: TensorSpec(name: name, shape: dims), origin: .dense))
            }
            let block = "model.layers.\(layer).block_sparse_moe."
            entries.append(Entry(spec: TensorSpec(name: block + "gate.weight", shape: [experts, hidden]), origin: .router(layer: layer)))
            for expert in 0..<experts {
                for projection in MixtralProjection.allCases {
                    let dims = projection == .w2 ? [hidden, size] : [size, hidden]
                    entries.append(Entry(spec: TensorSpec(name: block + "experts.\(expert).\(projection.rawValue).weight", shape: dims),
                                         origin: .expert(layer: layer, expert: expert, projection: projection)))
                }
            }
        }
        entries.append(Entry(spec: TensorSpec(name: "model.norm.weight", shape: [hidden]), origin: .dense))
        if !shape.tieWordEmbeddings {
            entries.append(Entry(spec: TensorSpec(name: "lm_head.weight", shape: [shape.vocabSize, hidden]), origin: .dense))
        }
        self.entries = entries
    }

    var parameterCount: Int { entries.reduce(0) { $0 + $1.spec.elementCount } }
}
