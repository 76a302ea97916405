import Foundation
import Testing
import SwitchyardTensor
@testable import SwitchyardModel

@Suite("Gating per family")
struct KernelGatingTests {
    /// Softmax of one row in double precision.
    func softmax(_ x: [Float]) -> [Double] {
        let m = Double(x.max()!)
        let e = x.map { exp(Double($0) - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    func route(_ config: ModelConfig, layer: Int, logits: [Float], shared: [Float]? = nil, rows: Int) -> ExpertRoutes {
        var routes = ExpertRoutes(rows: 0, slotsPerRow: 1, expertIDs: [], weights: [])
        var l = logits
        l.withUnsafeMutableBufferPointer { lp in
            if let shared {
                shared.withUnsafeBufferPointer { sp in
                    Gating.route(config: config, layer: layer, rows: rows, logits: lp.baseAddress, sharedLogits: sp.baseAddress, into: &routes)
                }
            } else {
                Gating.route(config: config, layer: layer, rows: rows, logits: lp.baseAddress, sharedLogits: nil, into: &routes)
            }
        }
        return routes
    }

    @Test("mixtral: softmax over all, top-2, renormalised")
    func mixtral() {
        let config = TestModels.config("mixtral")
        let logits: [Float] = [0.1, 2.0, -1.0, 1.5, /* row 2 */ 3, 3, 0, -2]
        let routes = route(config, layer: 0, logits: logits, rows: 2)
        #expect(routes.slotsPerRow == 2)
        #expect(routes.expertIDs == [1, 3, 0, 1])
        let p = softmax(Array(logits[0..<4]))
        #expect(abs(Double(routes.weights[0]) - p[1] / (p[1] + p[3])) < 1e-6)
        #expect(abs(Double(routes.weights[1]) - p[3] / (p[1] + p[3])) < 1e-6)
        #expect(abs(routes.weights[2] - 0.5) < 1e-6 && abs(routes.weights[3] - 0.5) < 1e-6)
    }

    @Test("olmoe: top-k of the softmax without renormalisation")
    func olmoe() {
        let config = TestModels.config("olmoe")
        let logits: [Float] = [0.1, 2.0, -1.0, 1.5]
        let routes = route(config, layer: 0, logits: logits, rows: 1)
        let p = softmax(logits)
        #expect(routes.expertIDs == [1, 3])
        #expect(abs(Double(routes.weights[0]) - p[1]) < 1e-6 && abs(Double(routes.weights[1]) - p[3]) < 1e-6)
        var renormalising = config
        renormalising.normTopKProb = true
        let r2 = route(renormalising, layer: 0, logits: logits, rows: 1)
        #expect(abs(r2.weights[0] + r2.weights[1] - 1) < 1e-6)
    }

    @Test("qwen2_moe: shared expert slot weighted sigmoid(shared gate); dense layers route to id 0")
    func qwen2() {
        let config = TestModels.config("qwen2_moe")
        #expect(!config.isSparse(layer: 0) && config.isSparse(layer: 1) && !config.isSparse(layer: 2))
        let logits: [Float] = [0, 1, 2, 3, 4, 5]
        let routes = route(config, layer: 1, logits: logits, shared: [0.7], rows: 1)
        #expect(routes.slotsPerRow == 3)
        #expect(routes.expertIDs == [5, 4, 6])
        let p = softmax(logits)
        #expect(abs(Double(routes.weights[0]) - p[5]) < 1e-6)
        #expect(abs(Double(routes.weights[2]) - 1 / (1 + exp(-0.7))) < 1e-6)
        let dense = route(config, layer: 0, logits: [], rows: 3)
        #expect(dense.slotsPerRow == 1 && dense.expertIDs == [0, 0, 0] && dense.weights == [1, 1, 1])
    }

    @Test("counts per expert skip unused slots")
    func counts() {
        let routes = ExpertRoutes(rows: 2, slotsPerRow: 2, expertIDs: [1, -1, 1, 0], weights: [1, 0, 0.5, 0.5])
        var counts: [Int] = []
        Gating.count(routes, experts: 3, into: &counts)
        #expect(counts == [1, 2, 0])
    }
}
