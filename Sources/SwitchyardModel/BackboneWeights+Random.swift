import SwitchyardTensor

extension BackboneWeights {
    /// Random weights of `config`'s shape (uniform, variance `1/fan_in` so activations stay O(1)),
    /// reproducible from `seed`: for tests and for benchmarking before a checkpoint exists.
    public static func random(config: ModelConfig, seed: UInt64) throws -> BackboneWeights {
        var g = SeededGenerator(seed: seed)
        let h = config.hiddenSize
        func linear(_ rows: Int, _ cols: Int) -> Matrix {
            Matrix.random(rows: rows, cols: cols, scale: (3 / Float(cols)).squareRoot(), generator: &g)
        }
        func norm(_ n: Int) -> Matrix {
            let m = Matrix.random(rows: 1, cols: n, scale: 0.2, generator: &g)
            for i in 0..<n { m.base[i] += 1 }
            return m
        }
        func bias(_ n: Int) -> Matrix { Matrix.random(rows: 1, cols: n, scale: 0.1, generator: &g) }

        let embed = Matrix.random(rows: config.vocabSize, cols: h, scale: 1, generator: &g)
        var layers: [Layer] = []
        for l in 0..<config.numLayers {
            if let mla = config.latentAttention {
                let sparse = config.isSparse(layer: l)
                let qRows = mla.qLoraRank ?? config.numHeads * mla.queryHeadDim
                let latent = try LatentWeights(
                    config: config, layer: l,
                    qANorm: mla.qLoraRank.map { norm($0) },
                    qB: mla.qLoraRank.map { PackedWeight(linear(config.numHeads * mla.queryHeadDim, $0)) },
                    kvANorm: norm(mla.kvLoraRank),
                    kvB: linear(config.numHeads * (mla.nopeHeadDim + mla.valueHeadDim), mla.kvLoraRank))
                layers.append(try Layer(
                    config: config, layer: l, inputNorm: norm(h),
                    qkv: PackedWeight(stacking: [linear(qRows, h), linear(mla.cachedWidth, h)]),
                    qkvBias: config.attentionBias ? bias(config.attentionInputWidth) : nil,
                    o: PackedWeight(linear(h, config.attentionOutputWidth)),
                    oBias: config.outputBias ? bias(h) : nil,
                    postNorm: norm(h),
                    gate: sparse ? PackedWeight(Matrix.random(rows: config.numExperts, cols: h, scale: 4 * (3 / Float(h)).squareRoot(), generator: &g)) : nil,
                    scoreCorrectionBias: sparse && config.scoreCorrectionBias ? bias(config.numExperts) : nil,
                    latent: latent))
                continue
            }
            let perHead = config.qkNorm == .perHead
            let sparse = config.isSparse(layer: l)
            layers.append(try Layer(
                config: config, layer: l,
                inputNorm: norm(h),
                q: linear(config.qDim, h), k: linear(config.kvDim, h), v: linear(config.kvDim, h),
                qBias: config.attentionBias ? bias(config.qDim) : nil,
                kBias: config.attentionBias ? bias(config.kvDim) : nil,
                vBias: config.attentionBias ? bias(config.kvDim) : nil,
                o: linear(h, config.qDim),
                oBias: config.outputBias ? bias(h) : nil,
                qNorm: config.qkNorm == .none ? nil : norm(perHead ? config.headDim : config.qDim),
                kNorm: config.qkNorm == .none ? nil : norm(perHead ? config.headDim : config.kvDim),
                postNorm: norm(h),
                gate: sparse ? Matrix.random(rows: config.numExperts, cols: h, scale: 4 * (3 / Float(h)).squareRoot(), generator: &g) : nil,
                sharedGate: sparse && config.hasSharedExpert && config.sharedExpertGated ? linear(1, h) : nil,
                scoreCorrectionBias: sparse && config.scoreCorrectionBias ? bias(config.numExperts) : nil,
                gateBias: sparse && config.routerBias ? bias(config.numExperts) : nil,
                sinks: config.attentionSinks ? bias(config.numHeads) : nil
            ))
        }
        let finalNorm = norm(h)
        let head = config.tieWordEmbeddings ? embed : linear(config.vocabSize, h)
        return try BackboneWeights(config: config, embed: embed, layers: layers, finalNorm: finalNorm, head: head)
    }
}
