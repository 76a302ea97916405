import CKernels
import Testing
@testable import SwitchyardTensor

/// A weight made of several borrowed runs (a fused gate/up read in place from two tensors).
/// (The products on every kernel path are in `QuantWeightsTests`, whose tests switch the
/// process-wide path one at a time.)
@Suite("Block weights read in place from several runs")
struct BlockWeightRunsTests {
    final class Owner {}

    @Test func wrongRunsAreClearErrors() throws {
        let owner = Owner()
        let row = [UInt8](repeating: 0, count: WeightFormat.q8_0.rowBytes(cols: 64))
        try row.withUnsafeBytes { raw in
            #expect(throws: BlockWeightError.byteCountMismatch(format: .q8_0, expected: 2 * raw.count, actual: raw.count)) {
                try BlockWeight(format: .q8_0, cols: 64, borrowingRuns: [(rows: 1, bytes: raw, owner: owner), (rows: 2, bytes: raw, owner: owner)])
            }
            #expect(throws: BlockWeightError.colsNotMultipleOfBlock(format: .q8_0, cols: 48)) {
                try BlockWeight(format: .q8_0, cols: 48, borrowingRuns: [(rows: 1, bytes: raw, owner: owner)])
            }
            #expect(throws: BlockWeightError.self) { try BlockWeight(format: .q8_0, cols: 64, borrowingRuns: []) }
        }
    }

    /// A copy gets huge pages from 2 MiB on when rounding up wastes at most an eighth: then the
    /// loader copies fused weights rather than reading them in place.
    @Test func hugePageRule() {
        #expect(BlockWeight.copyUsesHugePages(bytes: 2 << 20))
        #expect(BlockWeight.copyUsesHugePages(bytes: (4 << 20) - (256 << 10)))
        #expect(!BlockWeight.copyUsesHugePages(bytes: (2 << 20) - 1))
        #expect(!BlockWeight.copyUsesHugePages(bytes: (2 << 20) + (1 << 20)))  // rounds to 4 MiB: a third wasted
    }

    /// Fused runs are copied when the copy gets huge pages, unless the process (`generate`) turned
    /// the copies off; a single run is always read in place. In a child process: the setting is
    /// process-wide and other suites load models meanwhile.
    @Test func fusedWeightsReadInPlaceUnlessHugePagesPay() async {
        await #expect(processExitsWith: .success) {
            // (without repacking: a weight whose rows are interleaved is always a copy, see `BlockWeight.readsInPlace`)
            BlockWeight.repacksRows = false
            #expect(BlockWeight.copiesFusedWeightsIntoHugePages)
            #expect(!BlockWeight.readsInPlace(format: .q4_0, rows: 64, cols: 256, runs: 2, bytes: 4 << 20))
            #expect(BlockWeight.readsInPlace(format: .q4_0, rows: 64, cols: 256, runs: 2, bytes: 1 << 20))
            #expect(BlockWeight.readsInPlace(format: .q4_0, rows: 64, cols: 256, runs: 1, bytes: 4 << 20))
            BlockWeight.copiesFusedWeightsIntoHugePages = false
            #expect(BlockWeight.readsInPlace(format: .q4_0, rows: 64, cols: 256, runs: 2, bytes: 4 << 20))
            #expect(BlockWeight.readsInPlace(format: .q4_0, rows: 64, cols: 256, runs: 3, bytes: 64 << 20))
        }
    }

    /// The daemons' malloc settings apply on this (glibc) system.
    @Test func mallocKeepsFreedMemory() {
        #expect(sy_malloc_keep_freed_memory() == 1)
    }
}

extension QuantWeightsTests {
    /// Every format on every path: the products of a weight split into runs of 37 and 40 rows equal
    /// those of the same bytes held as one weight, bit for bit, whatever the batch and thread split
    /// (a thread's chunk of output rows may straddle the runs).
    @Test(arguments: WeightFormat.allCases)
    func runsComputeWhatOneWeightComputes(format: WeightFormat) async {
        await #expect(processExitsWith: .success) { [format] in
            let cols = format.blockSize == 256 ? 512 : 256
            let whole = try makeWeight(format, rows: 77, cols: cols, seed: 21)
            let bytes = whole.withUnsafeBytes { Array($0) }
            let split = 37 * whole.rowBytes
            let owner = BlockWeightRunsTests.Owner()
            try bytes.withUnsafeBytes { raw in
                let runs = try BlockWeight(format: format, cols: cols, borrowingRuns: [
                    (rows: 37, bytes: UnsafeRawBufferPointer(rebasing: raw[0..<split]), owner: owner),
                    (rows: 40, bytes: UnsafeRawBufferPointer(rebasing: raw[split...]), owner: owner),
                ])
                #expect(runs.isBorrowed && runs.rows == 77)
                runs.withUnsafeBytes { #expect(Array($0) == bytes) }
                #expect(runs.dequantizedRow(36) == whole.dequantizedRow(36))
                #expect(runs.dequantizedRow(37) == whole.dequantizedRow(37))
                for path in KernelPath.available {
                    withPath(path) {
                        for m in [1, 3, 64] {
                            let a = randomFloats(m, cols, seed: UInt64(m))
                            for threads in [1, 2] {
                                #expect(bits(product(runs, a, m: m, threads: threads)) == bits(product(whole, a, m: m, threads: threads)),
                                        "\(format) \(path.name) m \(m) threads \(threads)")
                            }
                        }
                    }
                }
            }
        }
    }

}
