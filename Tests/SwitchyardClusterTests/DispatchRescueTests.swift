import Testing
import SwitchyardModel
@testable import SwitchyardCluster

@Suite("Re-send planning")
struct DispatchRescueTests {
    func key(_ expert: Int) -> ExpertKey { ExpertKey(layer: 1, expert: expert) }

    @Test func oneHolderWithEveryExpertTakesTheWholeDispatch() {
        let routing = [key(0): ["a", "b", "c"], key(1): ["a", "c"]]
        let plan = DispatchRescue.plan(experts: [0, 1], layer: 1, routing: routing, load: ["c": 5, "b": 0], excluded: [])
        #expect(plan == .resend(["a": [0, 1]]))
        let withoutA = DispatchRescue.plan(experts: [0, 1], layer: 1, routing: routing, load: ["c": 5], excluded: ["a"])
        #expect(withoutA == .resend(["c": [0, 1]]))
    }

    @Test func expertsSplitAcrossHoldersWhenNoneHasThemAll() {
        let routing = [key(0): ["a", "b"], key(1): ["b", "c"], key(2): ["c", "d"]]
        let plan = DispatchRescue.plan(experts: [0, 1, 2], layer: 1, routing: routing, load: ["b": 1, "c": 1, "d": 9], excluded: ["a"])
        #expect(plan == .resend(["b": [0, 1], "c": [2]]))
    }

    @Test func noEligibleHolderNamesTheMissingKeys() {
        let routing = [key(0): ["a"], key(1): ["a", "b"]]
        #expect(DispatchRescue.plan(experts: [0, 1], layer: 1, routing: routing, load: [:], excluded: ["a"]) == .noHolder([key(0)]))
        #expect(DispatchRescue.plan(experts: [3], layer: 1, routing: routing, load: [:], excluded: []) == .noHolder([key(3)]))
    }
}
