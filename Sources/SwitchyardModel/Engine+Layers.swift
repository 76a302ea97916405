import SwitchyardTensor

extension Engine {
    /// Cached positions from which a decode token's heads are split over the threads when there
    /// are fewer sequences than threads (batch-1 chat): below it a head's work, about
    /// 2 x positions x headDim multiply-adds, does not repay handing it to another thread.
    static let headSplitContext = 128

    /// Runs one micro-batch through every layer and the head, writing its logits from `logitRow` on.
    func run(_ state: EngineMicroBatch, _ inputs: ArraySlice<EngineInput>, logitRow: Int) async throws {
        state.prepare(inputs)
        embed(state, inputs)
        for layer in 0..<config.numLayers {
            attentionBlock(state, inputs, layer: layer)
            try await ffnBlock(state, layer: layer)
        }
        head(state, inputs, logitRow: logitRow)
    }

    private func embed(_ state: EngineMicroBatch, _ inputs: ArraySlice<EngineInput>) {
        var row = 0
        for input in inputs {
            for token in input.tokens {
                weights.embed.copyRow(Int(token), into: state.x.row(row))
                rope.angles(position: state.positions[row], cos: state.cosTable.row(row), sin: state.sinTable.row(row))
                row += 1
            }
        }
    }

    /// `x += o(attention(rope(qkNorm(qkv(norm(x))))))`, appending this step's keys and values to the caches.
    private func attentionBlock(_ state: EngineMicroBatch, _ inputs: ArraySlice<EngineInput>, layer: Int) {
        if config.latentAttention != nil {
            latentAttentionBlock(state, inputs, layer: layer)
            return
        }
        let w = weights.layers[layer]
        let h = config.hiddenSize
        let hd = config.headDim
        let qDim = config.qDim
        let kvDim = config.kvDim
        let width = qDim + 2 * kvDim
        let rows = state.rows
        RMSNorm.apply(input: state.x.base, ldIn: h, output: state.xn.base, ldOut: h, rows: rows, cols: h,
                      weight: w.inputNorm.base, eps: config.rmsNormEps)
        let threads = self.threads ?? BLAS.threadCount
        w.qkv.multiply(m: rows, a: state.xn.base, lda: h, c: state.qkv.base, ldc: width, threads: threads)
        if let bias = w.qkvBias { VectorOps.addBias(bias.base, to: state.qkv.base, rows: rows, cols: width, ldx: width) }
        for r in 0..<rows {
            let q = state.qkv.row(r)
            let k = q + qDim
            switch config.qkNorm {
            case .none:
                break
            case .perHead:
                RMSNorm.apply(input: q, ldIn: hd, output: q, ldOut: hd, rows: config.numHeads, cols: hd,
                              weight: w.qNorm!.base, eps: config.rmsNormEps)
                RMSNorm.apply(input: k, ldIn: hd, output: k, ldOut: hd, rows: config.numKVHeads, cols: hd,
                              weight: w.kNorm!.base, eps: config.rmsNormEps)
            case .full:
                RMSNorm.apply(input: q, ldIn: qDim, output: q, ldOut: qDim, rows: 1, cols: qDim,
                              weight: w.qNorm!.base, eps: config.rmsNormEps)
                RMSNorm.apply(input: k, ldIn: kvDim, output: k, ldOut: kvDim, rows: 1, cols: kvDim,
                              weight: w.kNorm!.base, eps: config.rmsNormEps)
            }
            if let clip = config.clipQKV { VectorOps.clamp(q, limit: clip, count: width) }
            RoPE.rotate(q, heads: config.numHeads, headDim: hd, rotaryDim: config.rotaryDim, cos: state.cosTable.row(r), sin: state.sinTable.row(r))
            RoPE.rotate(k, heads: config.numKVHeads, headDim: hd, rotaryDim: config.rotaryDim, cos: state.cosTable.row(r), sin: state.sinTable.row(r))
        }
        let window = config.slidingWindow(layer: layer)
        state.decodeInputs.removeAll(keepingCapacity: true)
        for (i, input) in inputs.enumerated() {
            let cache = input.cache
            let first = state.rowStart[i]
            for t in 0..<input.tokens.count {
                let r = first + t
                let position = state.positions[r]
                let k = state.qkv.row(r) + qDim
                let v = k + kvDim
                for g in 0..<config.numKVHeads {
                    (cache.keys(layer: layer, head: g) + position * hd).update(from: k + g * hd, count: hd)
                    (cache.values(layer: layer, head: g) + position * hd).update(from: v + g * hd, count: hd)
                }
            }
            if input.tokens.count == 1 {
                state.decodeInputs.append(i)
            } else {
                // Prefill chunks in turn: their score products use the BLAS threads themselves.
                attention.compute(q: state.qkv.row(first), ldQ: width, rows: input.tokens.count, start: cache.length,
                                  cache: cache, layer: layer, window: window, sinks: w.sinks.map { UnsafePointer($0.base) },
                                  output: state.attention.row(first), ldOut: qDim, scratch: state.scores)
            }
        }
        // Decode rows (one query each, no BLAS calls) run concurrently, a few sequences per claim;
        // fewer sequences than threads with long contexts (batch-1 chat) split their heads instead.
        let scores = state.decodeAttentionScratch(workers: threads)
        let sinks = w.sinks.map { UnsafePointer($0.base) }
        let sequences = state.decodeInputs.count
        var longest = 0
        for i in state.decodeInputs { longest = max(longest, inputs[inputs.startIndex + i].cache.length) }
        let headParts = sequences < threads && longest >= Self.headSplitContext ? min(threads, config.numHeads) : 1
        let perClaim = headParts > 1 ? 1 : 4
        let claims = headParts > 1 ? sequences * headParts : (sequences + perClaim - 1) / perClaim
        ParallelFor.run(count: claims, threads: threads) { claim, worker in
            if headParts > 1 {
                let i = state.decodeInputs[claim / headParts]
                let part = claim % headParts
                let input = inputs[inputs.startIndex + i]
                let first = state.rowStart[i]
                let heads = (part * config.numHeads / headParts)..<((part + 1) * config.numHeads / headParts)
                attention.decode(q: state.qkv.row(first), start: input.cache.length, cache: input.cache, layer: layer,
                                 window: window, sinks: sinks, output: state.attention.row(first), heads: heads,
                                 scratch: scores[worker])
                return
            }
            for n in (claim * perClaim)..<min(sequences, (claim + 1) * perClaim) {
                let i = state.decodeInputs[n]
                let input = inputs[inputs.startIndex + i]
                let first = state.rowStart[i]
                attention.compute(q: state.qkv.row(first), ldQ: width, rows: 1, start: input.cache.length,
                                  cache: input.cache, layer: layer, window: window, sinks: sinks,
                                  output: state.attention.row(first), ldOut: qDim, scratch: scores[worker])
            }
        }
        w.o.multiply(m: rows, a: state.attention.base, lda: qDim, c: state.x.base, ldc: h, beta: 1, threads: threads)
        if let bias = w.oBias { VectorOps.addBias(bias.base, to: state.x.base, rows: rows, cols: h, ldx: h) }
    }

    /// `x += Σ weight · expert(norm(x))` through the expert backend.
    private func ffnBlock(_ state: EngineMicroBatch, layer: Int) async throws {
        let w = weights.layers[layer]
        let h = config.hiddenSize
        let rows = state.rows
        RMSNorm.apply(input: state.x.base, ldIn: h, output: state.xn.base, ldOut: h, rows: rows, cols: h,
                      weight: w.postNorm.base, eps: config.rmsNormEps)
        var logits: UnsafeMutablePointer<Float>?
        var shared: UnsafePointer<Float>?
        let threads = self.threads ?? BLAS.threadCount
        if let gate = w.gate {
            gate.multiply(m: rows, a: state.xn.base, lda: h, c: state.gateLogits.base, ldc: state.gateLogits.cols,
                          threads: threads)
            if let bias = w.gateBias {
                VectorOps.addBias(bias.base, to: state.gateLogits.base, rows: rows, cols: config.numExperts,
                                  ldx: state.gateLogits.cols)
            }
            logits = state.gateLogits.base
            if let sharedGate = w.sharedGate {
                sharedGate.multiply(m: rows, a: state.xn.base, lda: h, c: state.sharedLogits.base, ldc: 1, threads: threads)
                shared = UnsafePointer(state.sharedLogits.base)
            }
        }
        Gating.route(config: config, layer: layer, rows: rows, logits: logits, sharedLogits: shared,
                     correctionBias: w.scoreCorrectionBias.map { UnsafePointer($0.base) }, into: &state.routes)
        Gating.count(state.routes, experts: config.ffnExperts(layer: layer), into: &state.counts)
        traffic.record(layer: layer, counts: state.counts)
        let started = ContinuousClock.now
        try await experts.computeFFN(layer: layer, microBatch: state.index, input: state.xn, routes: state.routes,
                                     output: state.ffnOut)
        traffic.recordFFNCall(micros: UInt64(max(0, (ContinuousClock.now - started).seconds * 1e6)))
        guard state.ffnOut.rows == rows else {
            throw EngineError.shapeMismatch("expert backend returned \(state.ffnOut.rows) rows for \(rows)")
        }
        VectorOps.add(state.ffnOut.base, into: state.x.base, count: rows * h)
    }

    /// Final norm of each input's last row, then the head into `logits` rows `logitRow...`.
    private func head(_ state: EngineMicroBatch, _ inputs: ArraySlice<EngineInput>, logitRow: Int) {
        let h = config.hiddenSize
        for (i, input) in inputs.enumerated() {
            let lastRow = state.rowStart[i] + input.tokens.count - 1
            RMSNorm.apply(input: state.x.row(lastRow), ldIn: h, output: state.last.row(i), ldOut: h, rows: 1, cols: h,
                          weight: weights.finalNorm.base, eps: config.rmsNormEps)
        }
        weights.head.multiply(m: inputs.count, a: state.last.base, lda: h, c: logits.row(logitRow), ldc: config.vocabSize,
                              threads: threads ?? BLAS.threadCount)
        // Every position of the inputs that asked (prompt log-probabilities); `xn` is free by now.
        for (i, input) in inputs.enumerated() {
            guard input.allLogits, let target = positionLogitRows[logitRow + i] else { continue }
            let first = state.rowStart[i]
            let count = input.tokens.count
            RMSNorm.apply(input: state.x.row(first), ldIn: h, output: state.xn.row(first), ldOut: h, rows: count, cols: h,
                          weight: weights.finalNorm.base, eps: config.rmsNormEps)
            weights.head.multiply(m: count, a: state.xn.row(first), lda: h, c: positionLogits.row(target),
                                  ldc: config.vocabSize, threads: threads ?? BLAS.threadCount)
        }
    }
}
