import Testing
@testable import SwitchyardCluster

/// `InlineDispatchLimit`: the FLOP budget in rows, and how a slow inline dispatch lowers it.
@Suite struct InlineDispatchLimitTests {
    @Test func theBudgetIsRowsOfTheWidestExpert() {
        // Bench shape: 6 x 1024 x 2048 FLOPs a row; 2 GFLOP is 158 rows.
        let limit = InlineDispatchLimit(flops: 2_000_000_000, hiddenSize: 1024, widestIntermediate: 2048)
        #expect(limit.rows == 158)
        #expect(limit.allows(158) && !limit.allows(159))
        let none = InlineDispatchLimit(flops: 0, hiddenSize: 1024, widestIntermediate: 2048)
        #expect(!none.allows(1))
    }

    @Test func aFastDispatchLeavesTheLimitAlone() {
        var limit = InlineDispatchLimit(flops: 2_000_000_000, hiddenSize: 1024, widestIntermediate: 2048)
        limit.observed(rows: 150, elapsed: .milliseconds(50), maxPause: .milliseconds(50))
        #expect(limit.rows == 158)
    }

    @Test func aSlowDispatchLowersTheLimitToWhatWouldHaveFitAndNeverRaisesIt() {
        var limit = InlineDispatchLimit(flops: 2_000_000_000, hiddenSize: 1024, widestIntermediate: 2048)
        limit.observed(rows: 100, elapsed: .milliseconds(400), maxPause: .milliseconds(50))  // 8x too slow: 12 rows would have fit
        #expect(limit.rows == 12)
        limit.observed(rows: 12, elapsed: .milliseconds(60), maxPause: .milliseconds(50))  // still slow: at most half of 12
        #expect(limit.rows == 6)
        limit.observed(rows: 6, elapsed: .milliseconds(51), maxPause: .milliseconds(50))  // barely over: half again
        #expect(limit.rows == 3)
        limit.observed(rows: 1, elapsed: .seconds(1), maxPause: .milliseconds(50))  // a single row too slow: nothing inline
        #expect(limit.rows == 0 && !limit.allows(1))
        limit.observed(rows: 1, elapsed: .microseconds(1), maxPause: .milliseconds(50))
        #expect(limit.rows == 0)
    }
}
