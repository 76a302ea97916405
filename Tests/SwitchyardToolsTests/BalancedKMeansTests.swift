import Testing
import SwitchyardTools

@Suite("balanced k-means")
struct BalancedKMeansTests {
    /// Rows drawn around `k` well-separated directions, in a shuffled order.
    static func clusteredRows(k: Int, perCluster: Int, dimension: Int, seed: UInt64) -> (rows: [Float], truth: [Int]) {
        var random = WeightRandom(seed: seed)
        let centers = (0..<(k * dimension)).map { _ in random.nextNormal() * 3 }
        var rows: [Float] = []
        var truth: [Int] = []
        for i in 0..<(k * perCluster) {
            let c = (i * 7) % k
            truth.append(c)
            for j in 0..<dimension { rows.append(centers[c * dimension + j] + random.nextNormal() * 0.3) }
        }
        return (rows, truth)
    }

    @Test("clusters have exactly n/k members and partition the rows")
    func balanced() {
        var random = WeightRandom(seed: 3)
        let rows = (0..<(96 * 16)).map { _ in random.nextNormal() }
        let result = BalancedKMeans(rows: rows, dimension: 16, k: 8, seed: 1)
        let members = (0..<8).map { result.members(of: $0) }
        #expect(members.allSatisfy { $0.count == 12 })
        #expect(Set(members.flatMap { $0 }).count == 96)
        #expect(result.iterations >= 1 && result.iterations <= 25)
    }

    @Test("separated clusters are recovered exactly")
    func recoversClusters() {
        let (rows, truth) = Self.clusteredRows(k: 4, perCluster: 10, dimension: 12, seed: 5)
        let result = BalancedKMeans(rows: rows, dimension: 12, k: 4, seed: 2)
        // Same partition up to relabelling: rows share a cluster iff they share a true cluster.
        for i in 0..<truth.count {
            for j in 0..<truth.count {
                #expect((truth[i] == truth[j]) == (result.assignment[i] == result.assignment[j]))
            }
        }
        #expect(result.meanSimilarity > 0.9)
    }

    @Test("the same seed gives the same clusters")
    func deterministic() {
        var random = WeightRandom(seed: 9)
        let rows = (0..<(64 * 8)).map { _ in random.nextNormal() }
        #expect(BalancedKMeans(rows: rows, dimension: 8, k: 4, seed: 11).assignment
                == BalancedKMeans(rows: rows, dimension: 8, k: 4, seed: 11).assignment)
    }
}
