import SwitchyardTensor

extension Engine {
    /// transformers builds `q_a_layernorm` and `kv_a_layernorm` without the config's eps: 1e-6.
    static let latentNormEps: Float = 1e-6

    /// `x += o(MLA(norm(x)))`: the fused `[q or q_a | kv_a]` projection, the q LoRA, the latent's
    /// norm, RoPE on the query heads' and the shared key's RoPE parts, the latent appended to each
    /// cache, then absorbed attention: queries absorbed for all rows, attention per sequence, values
    /// projected for all rows.
    func latentAttentionBlock(_ state: EngineMicroBatch, _ inputs: ArraySlice<EngineInput>, layer: Int) {
        let w = weights.layers[layer]
        guard let mla = config.latentAttention, let latentWeights = w.latent, let kernel = latentAttention else { return }
        let h = config.hiddenSize
        let width = config.attentionInputWidth
        let rows = state.rows
        let threads = self.threads ?? BLAS.threadCount
        RMSNorm.apply(input: state.x.base, ldIn: h, output: state.xn.base, ldOut: h, rows: rows, cols: h,
                      weight: w.inputNorm.base, eps: config.rmsNormEps)
        w.qkv.multiply(m: rows, a: state.xn.base, lda: h, c: state.qkv.base, ldc: width, threads: threads)
        if let bias = w.qkvBias { VectorOps.addBias(bias.base, to: state.qkv.base, rows: rows, cols: width, ldx: width) }

        let qWidth = config.numHeads * mla.queryHeadDim
        let kvOffset = width - mla.cachedWidth
        let q: UnsafeMutablePointer<Float>
        let ldQ: Int
        if let rank = mla.qLoraRank, let qANorm = latentWeights.qANorm, let qB = latentWeights.qB {
            RMSNorm.apply(input: state.qkv.base, ldIn: width, output: state.qkv.base, ldOut: width, rows: rows, cols: rank,
                          weight: qANorm.base, eps: Self.latentNormEps)
            qB.multiply(m: rows, a: state.qkv.base, lda: width, c: state.latentQ.base, ldc: qWidth, threads: threads)
            (q, ldQ) = (state.latentQ.base, qWidth)
        } else {
            (q, ldQ) = (state.qkv.base, width)
        }
        let latent = state.qkv.base + kvOffset
        RMSNorm.apply(input: latent, ldIn: width, output: latent, ldOut: width, rows: rows, cols: mla.kvLoraRank,
                      weight: latentWeights.kvANorm.base, eps: Self.latentNormEps)
        for r in 0..<rows {
            let cos = state.cosTable.row(r)
            let sin = state.sinTable.row(r)
            let qRope = q + r * ldQ + mla.nopeHeadDim
            let kRope = latent + r * width + mla.kvLoraRank
            if config.ropeInterleaved {
                RoPE.rotateInterleaved(qRope, heads: config.numHeads, headDim: mla.queryHeadDim, rotaryDim: mla.ropeHeadDim, cos: cos, sin: sin)
                RoPE.rotateInterleaved(kRope, heads: 1, headDim: mla.ropeHeadDim, rotaryDim: mla.ropeHeadDim, cos: cos, sin: sin)
            } else {
                RoPE.rotate(qRope, heads: config.numHeads, headDim: mla.queryHeadDim, rotaryDim: mla.ropeHeadDim, cos: cos, sin: sin)
                RoPE.rotate(kRope, heads: 1, headDim: mla.ropeHeadDim, rotaryDim: mla.ropeHeadDim, cos: cos, sin: sin)
            }
        }
        let outWidth = config.attentionOutputWidth
        state.latentAbsorbed.resize(rows: kernel.absorbedCount(rows: rows))
        state.latentContext.resize(rows: kernel.contextCount(rows: rows))
        kernel.absorb(q: q, ldQ: ldQ, rows: rows, keysTransposed: latentWeights.keysTransposed.base,
                      kvB: latentWeights.kvB.base, absorbed: state.latentAbsorbed.base)
        func attend(_ i: Int, scratch: Matrix) {
            let input = inputs[inputs.startIndex + i]
            let first = state.rowStart[i]
            kernel.attend(absorbed: state.latentAbsorbed.base + kernel.absorbedCount(rows: first), rows: input.tokens.count,
                          start: input.cache.length, latents: input.cache.latents(layer: layer),
                          context: state.latentContext.base + kernel.contextCount(rows: first), scratch: scratch)
        }
        state.decodeInputs.removeAll(keepingCapacity: true)
        for (i, input) in inputs.enumerated() {
            let first = state.rowStart[i]
            let latents = input.cache.latents(layer: layer)
            for t in 0..<input.tokens.count {
                (latents + state.positions[first + t] * mla.cachedWidth)
                    .update(from: latent + (first + t) * width, count: mla.cachedWidth)
            }
            // Prefill chunks in turn (their products use the BLAS threads); decode rows below.
            if input.tokens.count == 1 { state.decodeInputs.append(i) } else { attend(i, scratch: state.scores) }
        }
        let scores = state.decodeAttentionScratch(workers: threads)
        let perClaim = 4
        ParallelFor.run(count: (state.decodeInputs.count + perClaim - 1) / perClaim, threads: threads) { chunk, worker in
            for n in (chunk * perClaim)..<min(state.decodeInputs.count, (chunk + 1) * perClaim) {
                attend(state.decodeInputs[n], scratch: scores[worker])
            }
        }
        kernel.project(context: state.latentContext.base, rows: rows, kvB: latentWeights.kvB.base,
                       output: state.attention.base, ldOut: outWidth)
        w.o.multiply(m: rows, a: state.attention.base, lda: outWidth, c: state.x.base, ldc: h, beta: 1, threads: threads)
        if let bias = w.oBias { VectorOps.addBias(bias.base, to: state.x.base, rows: rows, cols: h, ldx: h) }
    }
}
