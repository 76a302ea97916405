import Testing
@testable import SwitchyardCluster

@Suite("Choosing holders of replicated experts")
struct HolderChoiceTests {
    /// Two workers each holding every expert: the rows of one layer are split about evenly. The
    /// choice by in-flight rows alone gave every expert to worker "a" (nothing was in flight yet).
    @Test func replicatedExpertsSplitTheLayersRows() throws {
        let rows = [0: 17, 1: 12, 2: 20, 3: 15, 4: 18, 5: 14, 6: 16, 7: 16]
        let chosen = try HolderChoice.choose(rowsPerExpert: rows, holders: { _ in ["a", "b"] }, inFlight: [:]).get()
        #expect(Set(chosen.keys) == Set(0..<8))
        let load = chosen.reduce(into: [String: Int]()) { $0[$1.value, default: 0] += rows[$1.key]! }
        #expect(load["a"]! + load["b"]! == 128)
        #expect(abs(load["a"]! - load["b"]!) <= 2, "\(load)")
    }

    /// Longest first: the big expert takes one worker, the small ones fill the other.
    @Test func largestExpertsFirst() throws {
        let chosen = try HolderChoice.choose(rowsPerExpert: [0: 2, 1: 2, 2: 4], holders: { _ in ["a", "b"] }, inFlight: [:]).get()
        #expect(chosen == [2: "a", 0: "b", 1: "b"])
    }

    /// Rows already in flight on a worker (another micro-batch) count against it.
    @Test func countsRowsInFlight() throws {
        let chosen = try HolderChoice.choose(rowsPerExpert: [0: 5, 1: 5], holders: { _ in ["a", "b"] }, inFlight: ["a": 100]).get()
        #expect(chosen == [0: "b", 1: "b"])
    }

    /// A single holder is always chosen, whatever its load; experts without rows are not assigned.
    @Test func singleHoldersAndUnusedExperts() throws {
        let chosen = try HolderChoice.choose(rowsPerExpert: [0: 9, 1: 0, 3: 1], holders: { $0 == 0 ? ["a"] : ["b"] },
                                             inFlight: ["a": 50]).get()
        #expect(chosen == [0: "a", 3: "b"])
    }

    @Test func expertsWithoutHoldersAreNamed() {
        let result = HolderChoice.choose(rowsPerExpert: [0: 1, 4: 2, 6: 3], holders: { $0 == 0 ? ["a"] : ($0 == 4 ? [] : nil) },
                                         inFlight: [:])
        #expect(throws: HolderChoice.MissingHolders(experts: [4, 6])) { try result.get() }
    }
}
