/// Balanced spherical k-means: partitions `n` vectors into `k` clusters of exactly `n / k` members.
///
/// Rows are normalised to unit length and compared by cosine similarity. Each iteration assigns
/// greedily: all (row, cluster) pairs sorted by similarity, best first, each row taking the best
/// cluster that still has room; centroids are then the mean of their members' unit rows. Starts
/// from `k` distinct rows picked by the seed; stops when the assignment repeats or after
/// `maxIterations`. Deterministic for a seed.
public struct BalancedKMeans: Sendable {
    /// Cluster of every row, `0..<k`.
    public var assignment: [Int]
    /// `k` centroids of `dimension` values each (means of unit rows, not renormalised), row-major.
    public var centroids: [Float]
    /// Iterations run.
    public var iterations: Int
    /// Mean cosine similarity of rows to their cluster's (normalised) centroid.
    public var meanSimilarity: Float

    /// Clusters the `rows` (row-major, `rows.count / dimension` rows). `rows.count / dimension` must be a multiple of `k`.
    public init(rows: [Float], dimension: Int, k: Int, seed: UInt64, maxIterations: Int = 25) {
        let n = rows.count / dimension
        precondition(k > 0 && n % k == 0 && n >= k, "balanced k-means needs the row count (\(n)) to be a multiple of k (\(k))")
        let capacity = n / k
        var unit = rows
        for i in 0..<n {
            var norm: Float = 0
            for j in 0..<dimension { norm += unit[i * dimension + j] * unit[i * dimension + j] }
            let scale: Float = norm > 0 ? 1 / norm.squareRoot() : 0
            for j in 0..<dimension { unit[i * dimension + j] *= scale }
        }
        // Seeded start: k distinct rows (a partial Fisher-Yates shuffle).
        var random = WeightRandom(seed: seed, name: "balanced-kmeans")
        var order = Array(0..<n)
        for i in 0..<k {
            let j = i + Int(random.nextUInt64() % UInt64(n - i))
            order.swapAt(i, j)
        }
        var centroids = [Float](repeating: 0, count: k * dimension)
        for c in 0..<k {
            for j in 0..<dimension { centroids[c * dimension + j] = unit[order[c] * dimension + j] }
        }
        var assignment = [Int](repeating: -1, count: n)
        var iterations = 0
        var similarity = [Float](repeating: 0, count: n * k)
        while iterations < maxIterations {
            iterations += 1
            Self.similarities(unit, Self.normalised(centroids, k: k, dimension: dimension), n: n, k: k,
                              dimension: dimension, into: &similarity)
            let next = Self.assignBalanced(similarity, n: n, k: k, capacity: capacity)
            let converged = next == assignment
            assignment = next
            centroids = Self.means(unit, assignment, n: n, k: k, dimension: dimension)
            if converged { break }
        }
        Self.similarities(unit, Self.normalised(centroids, k: k, dimension: dimension), n: n, k: k,
                          dimension: dimension, into: &similarity)
        var total: Float = 0
        for i in 0..<n { total += similarity[i * k + assignment[i]] }
        self.assignment = assignment
        self.centroids = centroids
        self.iterations = iterations
        meanSimilarity = total / Float(n)
    }

    /// The rows of cluster `c`, ascending.
    public func members(of c: Int) -> [Int] {
        assignment.indices.filter { assignment[$0] == c }
    }

    /// `similarity[i * k + c]` = row i · centroid c.
    static func similarities(_ unit: [Float], _ centroids: [Float], n: Int, k: Int, dimension: Int, into similarity: inout [Float]) {
        unit.withUnsafeBufferPointer { u in
            centroids.withUnsafeBufferPointer { cs in
                for i in 0..<n {
                    let row = u.baseAddress! + i * dimension
                    for c in 0..<k {
                        let centroid = cs.baseAddress! + c * dimension
                        var dot: Float = 0
                        for j in 0..<dimension { dot += row[j] * centroid[j] }
                        similarity[i * k + c] = dot
                    }
                }
            }
        }
    }

    /// Greedy balanced assignment: best (row, cluster) pairs first, `capacity` rows per cluster.
    static func assignBalanced(_ similarity: [Float], n: Int, k: Int, capacity: Int) -> [Int] {
        let pairs = (0..<(n * k)).sorted { a, b in
            similarity[a] != similarity[b] ? similarity[a] > similarity[b] : a < b
        }
        var assignment = [Int](repeating: -1, count: n)
        var sizes = [Int](repeating: 0, count: k)
        var placed = 0
        for pair in pairs where placed < n {
            let (row, cluster) = pair.quotientAndRemainder(dividingBy: k)
            guard assignment[row] < 0, sizes[cluster] < capacity else { continue }
            assignment[row] = cluster
            sizes[cluster] += 1
            placed += 1
        }
        return assignment
    }

    /// The mean of each cluster's rows.
    static func means(_ unit: [Float], _ assignment: [Int], n: Int, k: Int, dimension: Int) -> [Float] {
        var sums = [Float](repeating: 0, count: k * dimension)
        var counts = [Int](repeating: 0, count: k)
        for i in 0..<n {
            let c = assignment[i]
            counts[c] += 1
            for j in 0..<dimension { sums[c * dimension + j] += unit[i * dimension + j] }
        }
        for c in 0..<k where counts[c] > 0 {
            let scale = 1 / Float(counts[c])
            for j in 0..<dimension { sums[c * dimension + j] *= scale }
        }
        return sums
    }

    /// Centroids scaled to unit length.
    static func normalised(_ centroids: [Float], k: Int, dimension: Int) -> [Float] {
        var result = centroids
        for c in 0..<k {
            var norm: Float = 0
            for j in 0..<dimension { norm += result[c * dimension + j] * result[c * dimension + j] }
            let scale: Float = norm > 0 ? 1 / norm.squareRoot() : 0
            for j in 0..<dimension { result[c * dimension + j] *= scale }
        }
        return result
    }
}
